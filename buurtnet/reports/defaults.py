"""The categories a zone starts with; zone staff rename, reorder, add and retire them."""

DEFAULT_CATEGORIES: list[tuple[str, dict[str, str]]] = [
    (
        "suspicious_person",
        {"nl": "Verdachte persoon", "fr": "Personne suspecte", "en": "Suspicious person"},
    ),
    (
        "suspicious_vehicle",
        {"nl": "Verdacht voertuig", "fr": "Véhicule suspect", "en": "Suspicious vehicle"},
    ),
    (
        "burglary",
        {
            "nl": "Inbraak of poging",
            "fr": "Cambriolage ou tentative",
            "en": "Burglary or attempt",
        },
    ),
    ("vandalism", {"nl": "Vandalisme", "fr": "Vandalisme", "en": "Vandalism"}),
    (
        "fraud",
        {
            "nl": "Poging tot oplichting",
            "fr": "Tentative d'escroquerie",
            "en": "Fraud attempt",
        },
    ),
    ("other", {"nl": "Iets anders", "fr": "Autre chose", "en": "Something else"}),
]
OTHER = "other"
