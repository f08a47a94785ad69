from django.conf import settings
from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from . import notices
from .models import Delivery, Notice, OutboxMessage


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    list_display = ["created_at", "channel", "recipient", "subject"]
    list_filter = ["channel"]


class NoticeDeliveryInline(admin.TabularInline):
    model = Delivery
    fields = ["channel_shown", "state_shown", "reason_shown", "attempts", "queued_at", "sent_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    @admin.display(description=_("channel"))
    def channel_shown(self, delivery: Delivery) -> str:
        return delivery.channel_label

    @admin.display(description=_("state"))
    def state_shown(self, delivery: Delivery) -> str:
        return delivery.get_state_display()

    @admin.display(description=_("why"))
    def reason_shown(self, delivery: Delivery) -> str:
        return delivery.get_reason_display() if delivery.reason else ""


class KindFilter(admin.SimpleListFilter):
    title = _("kind")
    parameter_name = "kind"

    def lookups(self, request: HttpRequest, model_admin) -> list[tuple[str, str]]:
        return [(name, notices.label(name)) for name in notices.KINDS]

    def queryset(self, request: HttpRequest, queryset):
        return queryset.filter(kind=self.value()) if self.value() else queryset


@admin.register(Notice)
class NoticeAdmin(admin.ModelAdmin):
    """Read-only: what was told to whom and how it went. The text of a code is a secret and
    is never shown; of any other notice only the subject and the text, not the HTML."""

    list_display = ["created_at", "kind_shown", "person", "subject"]
    list_filter = [KindFilter]
    list_select_related = ["person"]
    search_fields = ["person__email", "email", "subject"]
    date_hierarchy = "created_at"
    inlines = [NoticeDeliveryInline]

    @admin.display(description=_("kind"), ordering="kind")
    def kind_shown(self, notice: Notice) -> str:
        return notices.label(notice.kind)

    @admin.display(description=_("language"))
    def language_shown(self, notice: Notice) -> str:
        return dict(settings.LANGUAGES).get(notice.language, notice.language)

    @admin.display(description=_("text"))
    def shown_text(self, notice: Notice) -> str:
        if notices.kind(notice.kind).secret:
            return _("(a code: not shown)")
        return notice.text or notice.short_text

    fields = [
        "created_at",
        "kind_shown",
        "person",
        "language_shown",
        "email",
        "phone",
        "subject",
        "shown_text",
    ]
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        # Notices of every zone, naming people: for the platform's administrators only.
        return request.user.is_superuser

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        # Never one by one here; but deleting a person (erasure, the admin) deletes their
        # notices with them, and the admin asks this permission for every row it cascades to.
        return request.user.is_superuser

    def get_actions(self, request: HttpRequest) -> dict:
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions
