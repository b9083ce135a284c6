"""Collections and customer value (report ``collections_customers``).

One concern per module: :mod:`.params`, :mod:`.result`, :mod:`.compute` (``compute``),
:mod:`.receivables` (open items, aging, chase list, CEI, overdue shares in the engine),
:mod:`.slip` (the collections-slip test), :mod:`.customers` (customer value, cohorts, historical
LTV in the engine), :mod:`.ltv_model` (BG/NBD and Gamma-Gamma), :mod:`.predictive` (fitting,
hold-out check, forecast) and :mod:`.findings`; ``SPEC`` ties them together. Key-account churn
risk is the shared :mod:`salesops_lib.analyses.churn`.
"""

from salesops_lib.analyses.collections_customers.compute import compute
from salesops_lib.analyses.collections_customers.findings import KINDS
from salesops_lib.analyses.collections_customers.params import CollectionsCustomersParams
from salesops_lib.analyses.collections_customers.result import CollectionsCustomersResult, CustomerValue, Receivables
from salesops_lib.analyses.spec import AnalysisSpec, Section

SPEC = AnalysisSpec(
    "collections_customers",
    CollectionsCustomersParams,
    compute,
    requires=("revenue", "reps"),
    finding_kinds=KINDS,
    sections=tuple(
        Section(title, ("invoices", "payments"))
        for title in (
            "receivables_title",
            "collections_trend_title",
            "slip_title",
            "aging_title",
            "chase_title",
            "credits_title",
        )
    ),
)

__all__ = [
    "SPEC",
    "CollectionsCustomersParams",
    "CollectionsCustomersResult",
    "CustomerValue",
    "Receivables",
    "compute",
]
