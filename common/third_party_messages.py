"""Messages of django-import-export that appear on our admin pages: the package ships
no Indonesian catalogue, so these lines put its msgids in ours (``makemessages`` keeps
only what it finds in the project's files). Nothing imports this module."""

from django.utils.translation import gettext_noop, ngettext_lazy

IMPORT_EXPORT = [
    gettext_noop(
        "Below is a preview of data to be imported. If you are satisfied with the results, click 'Confirm import'"
    ),
    gettext_noop("Confirm import"),
    gettext_noop("Delete"),
    gettext_noop("Errors"),
    gettext_noop("Export"),
    gettext_noop("Import"),
    gettext_noop("Line number"),
    gettext_noop("New"),
    gettext_noop("Non field specific"),
    gettext_noop("Please correct these errors in your data where possible, then reupload it using the form above."),
    gettext_noop("Preview"),
    gettext_noop("Row"),
    gettext_noop("Select all"),
    gettext_noop("Skipped"),
    gettext_noop("Some rows failed to validate"),
    gettext_noop("Submit"),
    gettext_noop("This exporter will export the following fields: "),
    gettext_noop("This importer will import the following fields: "),
    gettext_noop("Update"),
    gettext_noop("File to import"),
    gettext_noop("Format"),
    gettext_noop("Resource"),
    gettext_noop("%s through import_export"),
    gettext_noop("Export selected %(verbose_name_plural)s"),
    gettext_noop("Import finished: {} new, {} updated, {} deleted and {} skipped {}."),
    gettext_noop(
        "%(exc_name)s encountered while trying to read file. Ensure you have chosen the correct format for the file."
    ),
]

IMPORT_EXPORT_PLURAL = ngettext_lazy("Export %(len)s selected item.", "Export %(len)s selected items.", "len")
