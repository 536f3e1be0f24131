"""The browsable API with only forms that can succeed.

Slid's routes read JSON, and DRF's HTML forms cannot carry what most of them take (a GeoJSON geometry,
lists of crimes, dictionaries of identifiers), so the routes that read JSON get the raw JSON form only,
prefilled with the fields the route reads. The evidence upload reads a form with a file, which JSON
cannot carry: it gets the HTML form only. A session opened by the admin's login (with the one-time
code, for an account with a second factor) sends the CSRF token the page holds."""

from rest_framework import renderers, serializers
from rest_framework.fields import empty
from rest_framework.request import override_method
from rest_framework.utils.field_mapping import ClassLookupDict

JSON = "application/json"
OPTIONAL_SELECT = "api/forms/select.html"


def reads_files(view) -> bool:
    """Whether what the view reads for the current method includes a file."""
    get_serializer = getattr(view, "get_serializer", None)
    if get_serializer is None:
        return False
    try:
        fields = get_serializer().fields.values()
    except Exception:  # noqa: BLE001 - a view whose serializer needs more than the page has: no file then
        return False
    return any(isinstance(field, serializers.FileField) and not field.read_only for field in fields)


def accepts(field: serializers.Field, value) -> bool:
    if value is None:
        return field.allow_null
    if value == "":
        return getattr(field, "allow_blank", False)
    return True


class HTMLFormRenderer(renderers.HTMLFormRenderer):
    """DRF's form fields, with a choice that may be left out starting at an empty option."""

    default_style = ClassLookupDict(
        {**renderers.HTMLFormRenderer.default_style.mapping, serializers.ChoiceField: {"template": OPTIONAL_SELECT}}
    )


class BrowsableAPIRenderer(renderers.BrowsableAPIRenderer):
    template = "api/browsable_api.html"
    form_renderer_class = HTMLFormRenderer

    def get_rendered_html_form(self, data, view, method, request):
        if method not in ("DELETE", "OPTIONS"):
            with override_method(view, request, method):
                if not reads_files(view):
                    return None
        return super().get_rendered_html_form(data, view, method, request)

    def get_raw_data_form(self, data, view, method, request):
        json_parsers = [parser for parser in view.parser_classes if parser.media_type == JSON]
        if not json_parsers:
            return None
        with override_method(view, request, method):
            if reads_files(view):
                return None
        form = super().get_raw_data_form(data, view, method, request)
        if form is None:
            return None
        # JSON only: a multipart body typed into a text box does not succeed.
        form.fields["_content_type"].choices = [(JSON, JSON)]
        form.fields["_content_type"].initial = JSON
        if method == "POST":  # the fields the route reads, with their defaults
            form.fields["_content"].initial = self.json_example(view, method, request)
        return form

    def json_example(self, view, method, request) -> str:
        """The fields the route reads: each one's default, or its empty value."""
        with override_method(view, request, method):
            serializer = view.get_serializer() if hasattr(view, "get_serializer") else None
        if serializer is None:
            return ""
        initial = {}
        for name, field in serializer.fields.items():
            if field.read_only or isinstance(field, serializers.HiddenField):
                continue
            if field.default is not empty and not callable(field.default):
                initial[name] = field.default
            elif field.required or accepts(field, field.get_initial()):
                initial[name] = field.get_initial()  # a required field's, for the user to fill in
            # else: an optional field whose empty value it would refuse, left out (its default applies)
        context = {**self.renderer_context, "indent": 4}
        return renderers.JSONRenderer().render(initial, JSON, context).decode()
