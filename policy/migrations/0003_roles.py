"""The three roles as Django groups with their permissions.

Pusat publishes the SOP; QA scores transcripts; Auditors see everything and change
nothing. The permission lists are frozen here on purpose: a later change of roles
is a new migration, so every database can say which rights a role had when."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

POLICY = ["directive", "greetingtemplate", "timeband", "scoredparameter", "cso", "channel", "timezonealias"]
SCORING = ["uploadbatch", "transcript", "message", "scoringchunk", "score", "scoreoverride"]

ROLES = {
    "Pusat": [("policy", f"{action}_{model}") for model in POLICY for action in ("add", "change", "view")]
    + [
        ("policy", "delete_greetingtemplate"),
        ("policy", "delete_timeband"),
        ("policy", "publish_directive"),
    ]
    + [("scoring", f"view_{model}") for model in ("uploadbatch", "transcript", "message", "score", "scoreoverride")],
    "QA": [("policy", f"view_{model}") for model in POLICY]
    + [("scoring", f"view_{model}") for model in SCORING]
    + [
        ("scoring", "add_uploadbatch"),
        ("scoring", "rescore_transcripts"),
        ("scoring", "override_score"),
        ("scoring", "add_scoreoverride"),
    ],
    "Auditor": [("policy", f"view_{model}") for model in POLICY]
    + [("scoring", f"view_{model}") for model in SCORING]
    + [("auth", "view_user"), ("auth", "view_group")],
}


def create_roles(apps, schema_editor):
    # Permissions are normally created after migrate; make sure they exist now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, perms in ROLES.items():
        group, _ = Group.objects.get_or_create(name=name)
        wanted = [Permission.objects.get(content_type__app_label=app, codename=code) for app, code in perms]
        group.permissions.set(wanted)


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLES).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("policy", "0002_alter_directive_options"),
        ("scoring", "0002_alter_score_options_alter_uploadbatch_options"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
