"""The user's own settings of the workspace: what it blurs (graphic material, all of it, or nothing)."""

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from evidence.models import MediaBlur
from evidence.selectors.viewing import user_media_blur
from evidence.services.viewing import user_preferences_update
from web.pages import Page


class SettingsForm(forms.Form):
    media_blur = forms.ChoiceField(
        label=gettext_lazy("Photos, videos, recordings and documents"),
        choices=MediaBlur.choices,
        widget=forms.RadioSelect,
        help_text=gettext_lazy(
            "Blurred material is also shown in greyscale and muted until you choose to see it, one item at a time."
        ),
    )


class AccountSettingsPage(Page):
    template_name = "web/account_settings.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        return self.render({"form": SettingsForm(initial={"media_blur": user_media_blur(user=request.user)})})

    def post(self, request: HttpRequest) -> HttpResponse:
        form = SettingsForm(request.POST)
        if not form.is_valid():
            return self.render({"form": form}, status=400)
        user_preferences_update(actor=request.user, media_blur=form.cleaned_data["media_blur"])
        messages.success(request, _("Your settings are saved."))
        return HttpResponseRedirect(reverse("web:account-settings"))
