import contextlib
import os
from queue import Empty

from celery import Celery
from kombu.transport import redis

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "incident_console.settings")

app = Celery("incident_console")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


class RedisChannel(redis.Channel):
    """kombu's Redis channel, closing completely even when the broker is already gone.

    kombu's ``close()`` first reads the reply of the pending BRPOP.  When Redis has just gone
    away that read raises, and the channel is left half-closed.  On a lost connection Celery
    5.7 calls ``Connection.collect()`` (which detaches the transport from the connection) and
    then ``close()``; the second close finishes the half-closed channel and, with a late-acked
    task in flight, restores its message through the detached transport:
    ``AttributeError: 'NoneType' object has no attribute 'hostname'``, which is not a
    connection error, so the worker stops for good instead of reconnecting.  Reading away the
    dead BRPOP here lets the first close finish, so the second has nothing left to do.
    """

    def close(self) -> None:
        if self._in_poll:
            with contextlib.suppress(Empty, *self.connection_errors):
                self._brpop_read()
        super().close()


class RedisTransport(redis.Transport):
    Channel = RedisChannel
