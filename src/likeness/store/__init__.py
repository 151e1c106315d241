"""Storage for the web app: SQLite (or any SQLAlchemy URL) records, a file store
under ``LIKENESS_HOME``, a restart-safe job queue, retention and verified deletion."""

from .config import StoreSettings
from .jobs import Job, JobQueue
from .records import ExpiredError, Store, TooManyPhotosError, hash_token
from .retention import Forgotten, forget_session, forget_team, leftovers, purge_expired

__all__ = [
    "ExpiredError", "Forgotten", "Job", "JobQueue", "Store", "StoreSettings", "TooManyPhotosError",
    "forget_session", "forget_team", "hash_token", "leftovers", "purge_expired",
]
