"""Provider webhooks, mounted at /hooks/ (see buurtnet.delivery.hooks)."""

from django.urls import path

from . import hooks

app_name = "hooks"

urlpatterns = [
    path("sms/simulator/status", hooks.simulator_status, name="sms_simulator_status"),
    path("sms/simulator/inbound", hooks.simulator_inbound, name="sms_simulator_inbound"),
    path("sms/twilio/status", hooks.twilio_sms_status, name="sms_twilio_status"),
    path("sms/twilio/inbound", hooks.twilio_sms_inbound, name="sms_twilio_inbound"),
    path("voice/twilio/status", hooks.twilio_voice_status, name="voice_twilio_status"),
]
