"""Pages of the spreadsheet import (``wenshang.imports``): the template, the upload form, the
preview with every problem and the “确认导入” button, the progress endpoint polled while a task
runs, and the user's import history.

Who may import: users who may add records of the entity (``permission_filter(user, model,
"add")``); everyone else gets 403. Jobs are read within the user's scope (``ImportJob`` is scoped
by township) and only the user who uploaded a file may commit it.
"""
from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from wenshang import imports
from wenshang.imports.models import ImportJob
from wenshang.kernel import audit
from wenshang.web.portal import REGISTRY

PROBLEMS_PER_PAGE = 100


class UploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Spreadsheet file"),
        allow_empty_file=True,  # refused below with the import's own message
        help_text=gettext_lazy("An Excel workbook (.xlsx), an OpenDocument spreadsheet (.ods) or a CSV file (UTF-8 or GBK)."),
        widget=forms.ClearableFileInput(attrs={"class": "form-control", "accept": ".xlsx,.ods,.csv,.txt"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        limit = imports.max_bytes()
        if upload.size == 0:
            raise forms.ValidationError(_("The file is empty."), code="empty")
        if upload.size > limit:
            raise forms.ValidationError(
                _("The file is %(size)s MB; at most %(limit)s MB can be imported at once. Split it into several files.")
                % {"size": f"{upload.size / 1024 / 1024:.1f}", "limit": f"{limit / 1024 / 1024:g}"},
                code="too_large",
            )
        return upload


def _breadcrumbs(spec=None):
    crumbs = [(_("Wenshang County"), reverse("home"))]
    if spec is not None:
        config = REGISTRY.get(spec.plural)
        if config is not None:
            try:
                crumbs.append((spec.model._meta.verbose_name_plural, config.list_url()))
            except Exception:  # noqa: BLE001 - the list page may not be routed yet
                pass
    crumbs.append((_("Imports"), reverse("imports:jobs")))
    return crumbs


class EntityMixin(LoginRequiredMixin):
    def get_spec(self, entity):
        spec = imports.get_spec(entity)
        if spec is None:
            raise Http404
        if not imports.may_import(self.request.user, spec):
            raise PermissionDenied
        return spec


class TemplateView(EntityMixin, View):
    def get(self, request, entity):
        self.get_spec(entity)
        response = HttpResponse(imports.template_xlsx(entity), content_type=imports.XLSX_MIME)
        response["Content-Disposition"] = content_disposition_header(True, imports.template_filename(entity))
        return response


class UploadView(EntityMixin, View):
    template_name = "imports/upload.html"

    def context(self, spec, form):
        columns = [
            {"header": c.header, "required": c.required, "help": imports.column_help(c),
             "choices": "、".join(c.labels) if c.kind == "choice" else ("是、否" if c.kind == "bool" else "")}
            for c in spec.columns
        ]
        recent = ImportJob.objects.restrict(self.request.user, "view").filter(user=self.request.user, entity=spec.plural)[:5]
        key = spec.key_help or "、".join(spec.field_columns[n].header for n in spec.key)
        return {
            "spec": spec, "form": form, "columns": columns, "key": key, "recent": recent,
            "entity_name": spec.model._meta.verbose_name_plural, "max_mb": f"{imports.max_bytes() / 1024 / 1024:g}",
            "async_rows": imports.async_rows(), "breadcrumbs": _breadcrumbs(spec),
        }

    def get(self, request, entity):
        spec = self.get_spec(entity)
        return render(request, self.template_name, self.context(spec, UploadForm()))

    def post(self, request, entity):
        spec = self.get_spec(entity)
        form = UploadForm(request.POST, request.FILES)
        if not form.is_valid():
            return render(request, self.template_name, self.context(spec, form), status=400)
        upload = form.cleaned_data["file"]
        job = ImportJob.objects.create(
            user=request.user, township=request.user.township, entity=spec.plural, file=upload,
            original_name=upload.name[:255], status=ImportJob.Status.UPLOADED,
        )
        imports.start_check(job)
        return redirect("imports:job", pk=job.pk)


def _visible_job(request, pk):
    return get_object_or_404(ImportJob.objects.restrict(request.user, "view").select_related("user"), pk=pk)


class JobDetailView(LoginRequiredMixin, View):
    template_name = "imports/job.html"

    def get(self, request, pk):
        job = _visible_job(request, pk)
        spec = imports.get_spec(job.entity)
        page = Paginator(job.problems or [], PROBLEMS_PER_PAGE).get_page(request.GET.get("page"))
        problems = [
            {**p, "value": imports.shown_value(request.user, job.entity, p.get("column", ""), p.get("value", ""))}
            for p in page.object_list
        ]
        Status = ImportJob.Status
        return render(request, self.template_name, {
            "job": job,
            "spec": spec,
            "entity_name": spec.model._meta.verbose_name_plural if spec else job.entity,
            "page": page,
            "problems": problems,
            "unchanged": imports.unchanged_rows(job),
            "working": job.status in (Status.UPLOADED, Status.CHECKING, Status.RUNNING),
            "waiting_for_queue": imports.waiting_for_queue(job),
            "can_commit": job.status == Status.READY and job.user_id == request.user.pk and not job.problems and not job.purged_at,
            "list_url": _list_url(job.entity),
            "breadcrumbs": _breadcrumbs(spec),
        })


def _list_url(entity):
    config = REGISTRY.get(entity)
    if config is None:
        return ""
    try:
        return config.list_url()
    except Exception:  # noqa: BLE001 - the list page may not be routed yet
        return ""


class JobCommitView(LoginRequiredMixin, View):
    def post(self, request, pk):
        job = _visible_job(request, pk)
        if job.user_id != request.user.pk or not imports.may_import(request.user, job.entity):
            raise PermissionDenied
        if job.purged_at:
            messages.error(request, _("The file of this import was deleted after %(days)d days: upload it again.")
                           % {"days": imports.retention_days()})
            return redirect("imports:job", pk=job.pk)
        with audit.actor(request.user, audit.import_source(job.original_name)):  # the history names the file
            started = imports.start_commit(job, request.user)
        if not started:
            messages.info(request, _("This import was already confirmed; it is written only once."))
        elif job.status == ImportJob.Status.DONE:
            messages.success(request, job.message)
        elif job.status == ImportJob.Status.INVALID:
            messages.error(request, _("The data changed since the check: nothing was written. See the problems below."))
        return redirect("imports:job", pk=job.pk)


class JobProgressView(LoginRequiredMixin, View):
    def get(self, request, pk):
        job = _visible_job(request, pk)
        if imports.waiting_for_queue(job) and cache.add(f"imports:resend:{job.pk}", 1, 10):
            imports.send_job(job.pk)  # a person is watching: try the queue again (at most every 10 s)
            job.refresh_from_db()
        Status = ImportJob.Status
        return JsonResponse({
            "waiting_for_queue": imports.waiting_for_queue(job),
            "id": job.pk,
            "status": job.status,
            "status_display": job.get_status_display(),
            "progress": job.progress,
            "finished": job.status not in (Status.UPLOADED, Status.CHECKING, Status.RUNNING),
            "total_rows": job.total_rows,
            "created_rows": job.created_rows,
            "updated_rows": job.updated_rows,
            "problems": len(job.problems or []),
            "message": job.message,
        })


class JobListView(LoginRequiredMixin, View):
    template_name = "imports/jobs.html"

    def get(self, request):
        jobs = ImportJob.objects.restrict(request.user, "view").select_related("user", "township")
        show_all = request.GET.get("all") == "1"
        if not show_all:
            jobs = jobs.filter(user=request.user)
        page = Paginator(jobs, 50).get_page(request.GET.get("page"))
        entities = []
        for plural in imports.SPECS:
            if imports.may_import(request.user, plural):
                spec = imports.get_spec(plural)
                entities.append((spec.model._meta.verbose_name_plural, reverse("imports:upload", args=[plural])))
        names = {plural: imports.get_spec(plural).model._meta.verbose_name_plural for plural in imports.SPECS}
        rows = [(job, names.get(job.entity, job.entity)) for job in page.object_list]
        return render(request, self.template_name, {
            "page": page, "rows": rows, "show_all": show_all, "entities": entities,
            "breadcrumbs": [(_("Wenshang County"), reverse("home"))],
        })
