# server/auth/: agents' passwords, sessions, the login endpoint and the
# guard every agent endpoint and socket goes through.
librxcore_la_SOURCES += \
	server/auth/auth.c server/auth/auth.h \
	server/auth/auth_login.c server/auth/auth_login.h \
	server/auth/auth_password.c server/auth/auth_password.h

if HAVE_CMOCKA
check_PROGRAMS += tests/unit/server/auth/test_auth
tests_unit_server_auth_test_auth_SOURCES = tests/unit/server/auth/test_auth.c
tests_unit_server_auth_test_auth_CFLAGS = $(UNIT_CFLAGS)
tests_unit_server_auth_test_auth_LDADD = $(UNIT_LDADD)
endif

# libFuzzer harness (tests/fuzz/local.mk): hashes, cookies, roles, login
# forms.
FUZZ_TARGETS += tests/fuzz/fuzz_auth
tests_fuzz_fuzz_auth_SOURCES = tests/fuzz/fuzz_auth.c
tests_fuzz_fuzz_auth_LDADD = $(FUZZ_LIBS)
tests_fuzz_fuzz_auth_LDFLAGS = $(FUZZ_LINK)
EXTRA_DIST += tests/fuzz/auth.dict tests/fuzz/corpus/auth
