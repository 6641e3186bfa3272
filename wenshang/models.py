"""The ``wenshang`` app's models, for Django to find: each is declared in the layer it belongs to
(the kernel's user, base model and change log; the web layer's search index; the import jobs, API
tokens and survey reports of their features). Import a model from its own module, not from here."""
from wenshang.api.models import ApiToken, IdempotentRequest, Webhook, WebhookDelivery
from wenshang.closing.models import Close, Correction, FrozenValue, Snapshot, Submission, SubmissionEvent
from wenshang.imports.models import ImportJob
from wenshang.kernel.models import ObjectChange, PersonalDataAccess, User
from wenshang.reports.models import Report
from wenshang.web.models import MetricAggregate, SearchEntry

__all__ = ["ApiToken", "IdempotentRequest", "Webhook", "WebhookDelivery", "Close", "Correction", "FrozenValue", "Snapshot", "Submission", "SubmissionEvent", "ImportJob", "MetricAggregate", "ObjectChange", "PersonalDataAccess", "Report", "SearchEntry", "User"]
