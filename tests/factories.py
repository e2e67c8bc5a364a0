"""factory_boy factories for the policy models. Objects are saved the plain way
(their history rows carry no user); tests that care about history use the services
or the admin."""

from __future__ import annotations

import datetime as dt

import factory
from django.contrib.auth import get_user_model

from policy.choices import DirectiveKind, DirectiveStatus, Element
from policy.models import CSO, Channel, Directive, GreetingTemplate, ScoredParameter, TimeBand, TimeZoneAlias


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@pln123.test")
    password = factory.django.Password("correct horse battery staple")


class SuperUserFactory(UserFactory):
    username = factory.Sequence(lambda n: f"pusat{n}")
    is_staff = True
    is_superuser = True


class ChannelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Channel
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"channel_{n}")
    name = factory.LazyAttribute(lambda c: c.code.replace("_", " ").title())
    allows_public = False


class TimeZoneAliasFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TimeZoneAlias
        django_get_or_create = ("code",)

    code = "WIB"
    iana_name = "Asia/Jakarta"


class DirectiveFactory(factory.django.DjangoModelFactory):
    """A draft directive over a week; pass ``channels=[...]`` to cover channels."""

    class Meta:
        model = Directive
        skip_postgeneration_save = True

    kind = DirectiveKind.DIRECTIVE
    reference = factory.Sequence(lambda n: f"SOP-PLN123-TEST{n}")
    title = factory.LazyAttribute(lambda d: f"Test directive {d.reference}")
    issuing_unit = "Divisi Pelayanan Pelanggan & Retail PLN Pusat"
    status = DirectiveStatus.DRAFT
    valid_from_date = dt.date(2023, 12, 20)
    valid_until_date = dt.date(2023, 12, 26)

    @factory.post_generation
    def channels(self, create, extracted, **kwargs):
        if create and extracted:
            self.channels.set(extracted)


class BaselineFactory(DirectiveFactory):
    kind = DirectiveKind.BASELINE
    reference = factory.Sequence(lambda n: f"SOP-PLN123-BASE{n}")
    valid_from_date = None
    valid_until_date = None


class GreetingTemplateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = GreetingTemplate

    directive = factory.SubFactory(DirectiveFactory)
    element = Element.OPENING
    channel = None
    text = "PLN 123 Selamat {waktu}, Selamat Natal, dengan {nama_cso} bisa dibantu"


class TimeBandFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TimeBand

    baseline = factory.SubFactory(BaselineFactory)
    word = factory.Sequence(lambda n: f"Band{n}")
    starts_at = dt.time(4, 0)
    ends_at = dt.time(10, 59)


class ScoredParameterFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ScoredParameter

    code = "1.1"
    name = "Menggunakan Salam Pembuka Sesuai Standar"
    channel = factory.SubFactory(ChannelFactory)
    element = Element.OPENING


class CSOFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CSO
        django_get_or_create = ("cso_id",)

    cso_id = factory.Sequence(lambda n: f"CSO{n:04d}")
    full_name = "Rina Marlina"
    aliases = ""


# --- helpers for admin tests ------------------------------------------------------------


def _encode(value):
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return [str(v) for v in value]
    return str(value)


def changeform_data(response, **overrides) -> dict:
    """The POST data the admin change form of ``response`` (a GET) would send as it
    stands, inline formsets and their management forms included; ``overrides``
    replace single keys (``templates-0-text=...``)."""
    data = {}
    form = response.context["adminform"].form
    for name in form.fields:
        data[form.add_prefix(name)] = _encode(form[name].value())
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        management = formset.management_form
        for name in management.fields:
            data[management.add_prefix(name)] = _encode(management[name].value())
        for sub in formset.forms:
            for name in sub.fields:
                data[sub.add_prefix(name)] = _encode(sub[name].value())
    data.update(overrides)
    return data
