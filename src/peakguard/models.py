"""Imports every domain's tables so ``Base.metadata`` is complete (Alembic autogenerate and
``tests`` rely on it). A new domain adds its ``models`` import here."""

from peakguard import idempotency_models
from peakguard.audit import models as audit_models
from peakguard.auth import models as auth_models
from peakguard.chatops import models as chatops_models
from peakguard.compensation import models as compensation_models
from peakguard.incidents import models as incident_models
from peakguard.monitor import models as monitor_models
from peakguard.notify import models as notify_models
from peakguard.oncall import models as oncall_models
from peakguard.oncall import mutes as oncall_mutes
from peakguard.printing import models as printing_models
from peakguard.readiness import models as readiness_models
from peakguard.roster import models as roster_models
from peakguard.stakeholders import models as stakeholder_models
from peakguard.warehouse import models as warehouse_models

__all__ = [
    "audit_models",
    "auth_models",
    "chatops_models",
    "compensation_models",
    "idempotency_models",
    "incident_models",
    "monitor_models",
    "notify_models",
    "oncall_models",
    "oncall_mutes",
    "printing_models",
    "readiness_models",
    "roster_models",
    "stakeholder_models",
    "warehouse_models",
]
