import os
import re

from setuptools import setup

here = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(here, 'kairos', '__init__.py')) as f:
    version = re.search(r"^__version__ = '([^']+)'", f.read(), re.M).group(1)
with open(os.path.join(here, 'requirements.pip')) as f:
    requirements = [line.strip() for line in f if line.strip() and not line.startswith('#')]
with open(os.path.join(here, 'README.rst')) as f:
    long_description = f.read()

SQLALCHEMY = 'SQLAlchemy>=2'

setup(
    name='kairos',
    version=version,
    description='Time series data storage using Redis, Mongo and SQL databases',
    long_description=long_description,
    long_description_content_type='text/x-rst',
    license='BSD',
    packages=['kairos'],
    package_data={'kairos': ['py.typed']},
    zip_safe=False,  # type checkers do not read zipped packages (PEP 561)
    python_requires='>=3.9',
    install_requires=requirements,
    extras_require={
        'sql': [SQLALCHEMY],
        'postgresql': [SQLALCHEMY, 'psycopg[binary]>=3.1'],
        'mysql': [SQLALCHEMY, 'PyMySQL'],
    },
    keywords=['python', 'redis', 'mongo', 'time', 'timeseries', 'rrd', 'gevent', 'statistics'],
    classifiers=[
        'Development Status :: 5 - Production/Stable',
        'License :: OSI Approved :: BSD License',
        'Intended Audience :: Developers',
        'Operating System :: POSIX',
        'Programming Language :: Python :: 3',
        'Programming Language :: Python :: 3 :: Only',
        'Topic :: Software Development :: Libraries :: Python Modules',
        'Typing :: Typed',
    ],
)
