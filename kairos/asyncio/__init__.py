"""kairos on asyncio: the same Timeseries, its calls awaited.

``kairos.asyncio.Timeseries`` takes what ``kairos.Timeseries`` takes, with an
asyncio client (``redis.asyncio.Redis`` or ``redis.asyncio.cluster.RedisCluster``;
pymongo's ``AsyncMongoClient`` or its database, motor's; an SQLAlchemy
``AsyncEngine``) or a URL, and has the same methods, awaited; ``iterate`` is an
async generator::

    from kairos.asyncio import Timeseries
    t = Timeseries('redis://localhost:6379/0', type='count',
                   intervals={'minute': {'step': 60, 'steps': 120}})
    await t.insert('hits', 3)
    await t.get('hits', 'minute')

Both run the same steps (:mod:`kairos.steps`): checks, plans, the commands
built, replies decoded and errors translated are one code; only the calls to
the driver differ, awaited here. A backend's set-up that needs the server
(SQL tables, Mongo indexes) runs before the first call; everything else is
checked as the Timeseries is built. The data each writes, the other reads.
"""

from .timeseries import Timeseries

__all__ = ['Timeseries']
