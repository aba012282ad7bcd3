"""A password hasher for the suite: PBKDF2 at a thousand iterations instead of Django's million.

It keeps Django's algorithm name, so a console or worker process the tests start (with the
console's own settings) verifies these hashes too: the iterations are read from the hash.
"""

from django.contrib.auth.hashers import PBKDF2PasswordHasher


class FastPBKDF2PasswordHasher(PBKDF2PasswordHasher):
    iterations = 1000
