"""The REST API for other systems: ``/api/v1/<app>/<plural>/`` for every entity of the portal.

One endpoint per ``ModelViews`` of the portal (``wenshang.web.portal.REGISTRY``), with the same
FilterSet, the same scope (``Model.objects.restrict``), the same model validation and services
(``ModelViews.save_object`` / ``delete_object``) and the same masking of personal data, so the
API can never disagree with the pages. Systems authenticate with tokens (``tokens``), browsers
with their session.
"""
