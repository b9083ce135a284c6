"""Collections and customer value (report ``collections_customers``).

One concern per module: :mod:`.receivables` (open items, aging, chase list, CEI, overdue shares
in the engine), :mod:`.slip` (the collections-slip test), :mod:`.customers` (customer value,
cohorts, historical LTV in the engine), :mod:`.ltv_model` (BG/NBD and Gamma-Gamma),
:mod:`.predictive` (fitting, hold-out check, forecast), :mod:`.findings` and :mod:`.analysis`
(``compute``). Key-account churn risk is the shared :mod:`salesops_lib.analyses.churn`.
"""

from salesops_lib.analyses.collections_customers.analysis import (
    CollectionsCustomersResult,
    CustomerValue,
    Receivables,
    compute,
)

__all__ = ["CollectionsCustomersResult", "CustomerValue", "Receivables", "compute"]
