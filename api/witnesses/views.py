"""Witnesses and victims: pseudonyms for members, identities for the readers a lead names."""

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from api.permissions import ensure_allowed, required_rule
from api.witnesses.filters import ProtectedPersonFilterSet
from api.witnesses.serializers import (
    IdentitySerializer,
    ProtectedPersonCreateSerializer,
    ProtectedPersonSerializer,
    ProtectedPersonUpdateSerializer,
    VictimCreateSerializer,
    VictimIdentitySerializer,
    VictimUpdateSerializer,
)
from evidence.models import ProtectedKind
from evidence.selectors.witnesses import protected_person_list
from evidence.services.witnesses import protected_identity_reveal, protected_person_create, protected_person_update


class ProtectedPersonViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Witnesses or victims of a case, known by pseudonym. Investigators record them; leads change
    them and name who else may reveal an identity; every reveal is in the audit log."""

    kind: str
    create_serializer: type = ProtectedPersonCreateSerializer
    update_serializer: type = ProtectedPersonUpdateSerializer
    identity_serializer: type = IdentitySerializer
    serializer_class = ProtectedPersonSerializer
    filterset_class = ProtectedPersonFilterSet
    # Routes whose GET writes (a reveal is audited). DRF hands HEAD to the GET's handler, so a HEAD would
    # reveal and record too, while showing nothing: these answer 405 to it, before anything is read.
    GET_WRITES = frozenset({"identity"})

    def initialize_request(self, request, *args, **kwargs):
        request = super().initialize_request(request, *args, **kwargs)
        if self.action_map.get("get") in self.GET_WRITES and "head" in self.action_map:
            self.action_map = {method: name for method, name in self.action_map.items() if method != "head"}
            # Set by ViewSetMixin.as_view (not when the schema is generated); without it, dispatch answers 405.
            vars(self).pop("head", None)
            if request.method == "HEAD":
                self.action = None
        return request

    def get_queryset(self):
        return protected_person_list(user=self.request.user, kind=self.kind)

    @extend_schema(request=ProtectedPersonCreateSerializer, responses={201: ProtectedPersonSerializer})
    def create(self, request):
        data = self.create_serializer(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        case, readers = fields.pop("case"), fields.pop("readers", [])
        ensure_allowed(request.user, case, required_rule(request))
        person = protected_person_create(
            actor=request.user, case=case, kind=self.kind, identity=fields, readers=readers
        )
        return Response(ProtectedPersonSerializer(person).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ProtectedPersonUpdateSerializer, responses=ProtectedPersonSerializer)
    def partial_update(self, request, pk=None):
        person = self.get_object()
        data = self.update_serializer(data=request.data, partial=True, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        readers = fields.pop("readers", None)
        protected_person_update(actor=request.user, person=person, identity=fields, readers=readers)
        return Response(ProtectedPersonSerializer(self.get_object()).data)

    @extend_schema(responses=IdentitySerializer, filters=False)
    @action(detail=True, methods=["get"], filterset_class=None)
    def identity(self, request, pk=None):
        """Who this person is: for leads, and for members a lead named. The reveal is audited."""
        person = self.get_object()
        identity = protected_identity_reveal(actor=request.user, person=person)
        # Neither the browser nor a proxy between may keep a copy of who a witness is.
        return Response(
            self.identity_serializer({**identity, "pseudonym": person.pseudonym}).data,
            headers={"Cache-Control": "no-store", "Pragma": "no-cache"},
        )


class WitnessViewSet(ProtectedPersonViewSet):
    kind = ProtectedKind.WITNESS


class VictimViewSet(ProtectedPersonViewSet):
    """Victims: besides the identity, sex, age or age range, conflict_status, date_of_death and cause_of_death,
    sealed with it, so shown only to those who may reveal who the victim is."""

    kind = ProtectedKind.VICTIM
    create_serializer = VictimCreateSerializer
    update_serializer = VictimUpdateSerializer
    identity_serializer = VictimIdentitySerializer

    @extend_schema(request=VictimCreateSerializer, responses={201: ProtectedPersonSerializer})
    def create(self, request):
        return super().create(request)

    @extend_schema(request=VictimUpdateSerializer, responses=ProtectedPersonSerializer)
    def partial_update(self, request, pk=None):
        return super().partial_update(request, pk)

    @extend_schema(responses=VictimIdentitySerializer, filters=False)
    @action(detail=True, methods=["get"], filterset_class=None)
    def identity(self, request, pk=None):
        """Who this victim is, with what is known of them: for leads, and for members a lead named. Audited."""
        return super().identity(request, pk)
