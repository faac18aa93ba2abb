"""The Redis backend's sending machinery under one import path: round trips on a
pooled connection (``kairos.redis.wire``), packets routed per hash slot
(``kairos.redis.cluster``) and what redis-py's refusals mean (``kairos.redis.errors``).
"""

# every name of those modules, and the modules and typing names imported with them,
# stays reachable here for code that imports it from this path
import inspect  # noqa: F401
import os  # noqa: F401
import socket  # noqa: F401
import time  # noqa: F401
import weakref  # noqa: F401
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple  # noqa: F401

import redis  # noqa: F401
from redis.exceptions import (AskError, ClusterDownError, MovedError,  # noqa: F401
                              NoPermissionError, NoScriptError, RedisClusterException,
                              ResponseError, TryAgainError)

from .exceptions import AuthenticationError, StorageError, StorageUnavailable  # noqa: F401
from .redis.cluster import RESEND_PAUSE as RESEND_PAUSE
from .redis.cluster import RESENDS as RESENDS
from .redis.cluster import ClusterNodes as ClusterNodes
from .redis.cluster import Router as Router
from .redis.cluster import hashed as hashed
from .redis.cluster import not_run as not_run
from .redis.errors import _AUTH_CODES  # noqa: F401
from .redis.errors import DRIVER_ERRORS as DRIVER_ERRORS
from .redis.errors import authentication_error as authentication_error
from .redis.errors import cluster_server as cluster_server
from .redis.errors import pool_server as pool_server
from .redis.errors import refuses_credentials as refuses_credentials
from .redis.errors import root_error as root_error
from .redis.wire import (_CHUNK, _FAILURES, _GET_CONNECTION_ARGS, _KEPT, _MORE,  # noqa: F401
                         _STOCK_READ, _Kept, _KeptByPool, _reply)
from .redis.wire import KEEP as KEEP
from .redis.wire import KEEP_FROM_POOLS_OF as KEEP_FROM_POOLS_OF
from .redis.wire import Command as Command
from .redis.wire import Wire as Wire
from .redis.wire import exchange as exchange
from .redis.wire import hiredis as hiredis
