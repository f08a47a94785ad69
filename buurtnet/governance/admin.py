"""Governance records in the admin: to look things up. Changes go through the site's pages,
where the services check who may make them and keep the history."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from .models import (
    Agreement,
    AgreementSignature,
    CaseStep,
    CharterRegistration,
    Consultation,
    ConsultationAction,
    CoordinatorCase,
    Decision,
    EmergencyHandover,
    Evaluation,
    FoundingRequest,
    Meeting,
    MeetingRules,
    RoleChange,
    Screening,
    Vote,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Shown, never changed here: every change has its service and its audit entry."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class PrivateDocumentAdmin(ReadOnlyAdmin):
    """A model with a private `document`: the admin would show the storage's own URL of the
    file (a signed S3 link that skips the permission check and the audit log; an error on
    local storage). It links to the site's view of the file instead, which checks both."""

    exclude = ["document"]
    readonly_fields = ["document_link"]
    document_view = ""  # the URL name of the view that serves the document

    @admin.display(description=_("document"))
    def document_link(self, obj) -> str:
        if not obj.document:
            return "-"
        url = reverse(self.document_view, args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, _("Download the PDF"))


@admin.register(FoundingRequest)
class FoundingRequestAdmin(ReadOnlyAdmin):
    list_display = ["network", "requester_kind", "requested_at"]
    list_filter = ["requester_kind"]


class SignatureInline(admin.TabularInline):
    model = AgreementSignature
    extra = 0
    fields = ["party", "person", "signed_at", "document_sha256"]
    readonly_fields = fields
    can_delete = False


@admin.register(Agreement)
class AgreementAdmin(PrivateDocumentAdmin):
    document_view = "governance:agreement_pdf"
    list_display = ["network", "version", "status", "created_at", "signed_at"]
    list_filter = ["status"]
    search_fields = ["network__name"]
    inlines = [SignatureInline]


@admin.register(CharterRegistration)
class CharterRegistrationAdmin(PrivateDocumentAdmin):
    document_view = "governance:registration_pdf"
    list_display = ["agreement", "created_at", "sent_on", "reply_on", "reply_outcome"]
    list_filter = ["reply_outcome"]


@admin.register(Evaluation)
class EvaluationAdmin(ReadOnlyAdmin):
    list_display = ["network", "year", "held_on"]


@admin.register(Screening)
class ScreeningAdmin(ReadOnlyAdmin):
    list_display = ["network", "person", "screened_on"]


class StepInline(admin.TabularInline):
    model = CaseStep
    extra = 0
    fields = ["step", "occurred_on", "authority", "recorded_by", "recorded_at"]
    readonly_fields = fields
    can_delete = False


@admin.register(CoordinatorCase)
class CoordinatorCaseAdmin(ReadOnlyAdmin):
    list_display = ["network", "coordinator", "opened_at", "closed_at", "appeal_outcome"]
    inlines = [StepInline]


class DecisionInline(admin.TabularInline):
    model = Decision
    extra = 0
    fields = ["function", "candidate", "takes_effect_on", "status", "outcome"]
    readonly_fields = fields
    can_delete = False


@admin.register(Meeting)
class MeetingAdmin(ReadOnlyAdmin):
    list_display = ["network", "title", "kind", "starts_at", "status", "minutes_approved_at"]
    list_filter = ["kind", "status"]
    search_fields = ["title", "network__name"]
    inlines = [DecisionInline]


@admin.register(Decision)
class DecisionAdmin(ReadOnlyAdmin):
    list_display = ["meeting", "function", "status", "outcome", "yes", "no", "abstain", "present"]
    list_filter = ["status", "outcome", "function"]


@admin.register(Vote)
class VoteAdmin(ReadOnlyAdmin):
    # Who voted what stays out of lists; counts are on the decision.
    list_display = ["decision", "cast_at"]


@admin.register(MeetingRules)
class MeetingRulesAdmin(ReadOnlyAdmin):
    list_display = ["network", "quorum_percent", "quorum_minimum", "proxies_allowed"]


@admin.register(EmergencyHandover)
class EmergencyHandoverAdmin(ReadOnlyAdmin):
    list_display = ["network", "to_person", "by", "at"]


@admin.register(RoleChange)
class RoleChangeAdmin(ReadOnlyAdmin):
    list_display = ["network", "person", "from_role", "to_role", "effective_at", "applied_at"]
    list_filter = ["to_role"]


class ActionInline(admin.TabularInline):
    model = ConsultationAction
    fk_name = "consultation"
    extra = 0
    fields = ["description", "owner", "due_on", "done_at"]
    readonly_fields = fields
    can_delete = False


@admin.register(Consultation)
class ConsultationAdmin(ReadOnlyAdmin):
    list_display = ["network", "held_on", "next_on"]
    inlines = [ActionInline]
