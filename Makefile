# fimd: real-time file integrity monitor.  GNU make, Linux only.

CC         ?= cc
CFLAGS     ?= -O2 -g
PREFIX     ?= /usr/local
SBINDIR    ?= $(PREFIX)/sbin
MANDIR     ?= $(PREFIX)/share/man
DATADIR    ?= $(PREFIX)/share
SYSCONFDIR ?= /etc
UNITDIR    ?= $(PREFIX)/lib/systemd/system
TMPFILESDIR ?= $(PREFIX)/lib/tmpfiles.d
LOGROTATEDIR ?= $(SYSCONFDIR)/logrotate.d
DESTDIR    ?=
SANITIZE   ?=
WERROR     ?=
VERSION    := 0.1.0

O          ?= build
PKGS       := libevent libevent_pthreads jansson libcrypto zlib

WARN := -Wall -Wextra -Wpedantic -Wshadow -Wpointer-arith -Wcast-qual \
	-Wstrict-prototypes -Wmissing-prototypes -Wmissing-declarations \
	-Wwrite-strings -Wformat=2 -Wundef -Wvla -Wimplicit-fallthrough \
	-Wnull-dereference
ifeq ($(WERROR),1)
WARN += -Werror
endif

HARDEN := -D_FORTIFY_SOURCE=2 -fstack-protector-strong -fPIE
ifneq ($(SANITIZE),)
HARDEN := -fPIE
CFLAGS := -O1 -g -fsanitize=$(SANITIZE) -fno-sanitize-recover=all \
	-fno-omit-frame-pointer
LDFLAGS += -fsanitize=$(SANITIZE)
endif

DEFS := -DFIMD_VERSION='"$(VERSION)"' -DFIMD_SYSCONFDIR='"$(SYSCONFDIR)"' \
	-DFIMD_DATADIR='"$(DATADIR)"'
ALL_CFLAGS := -std=c11 -D_GNU_SOURCE $(WARN) $(HARDEN) $(DEFS) -Iinclude \
	$(shell pkg-config --cflags $(PKGS)) -pthread -MMD -MP $(CFLAGS)
ALL_LDFLAGS := -pie -Wl,-z,relro,-z,now -pthread $(LDFLAGS)
LIBS := $(shell pkg-config --libs $(PKGS))
TEST_LIBS := $(shell pkg-config --libs cmocka)

SRCS := $(sort $(wildcard src/*.c))
OBJS := $(SRCS:src/%.c=$(O)/src/%.o)
LIB_OBJS := $(filter-out $(O)/src/main.o,$(OBJS))

UNIT_SRCS := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(O)/tests/%)
SCEN_SRCS := $(sort $(wildcard tests/scenario/t*.c))
SCEN_BINS := $(SCEN_SRCS:tests/scenario/%.c=$(O)/tests/%)
TLIB_SRCS := $(sort $(wildcard tests/lib/*.c))
TLIB_OBJS := $(TLIB_SRCS:tests/lib/%.c=$(O)/tests/lib/%.o)

# libFuzzer harnesses (tests/fuzz/fuzz_<target>.c).  `make check` replays
# each over its seeds (tests/fuzz/corpus/<target>/) through replay.c,
# built with $(CC); `make fuzz` builds them with clang's libFuzzer and
# runs each for FUZZ_SECONDS.
FUZZ_TARGETS := $(sort $(patsubst tests/fuzz/fuzz_%.c,%,\
	$(wildcard tests/fuzz/fuzz_*.c)))
FUZZ_REPLAYS := $(FUZZ_TARGETS:%=$(O)/tests/fuzz_%)
FUZZ_REPLAY_OBJS := $(O)/tests/fuzzlib/replay.o $(O)/tests/fuzzlib/fuzzlib.o
FUZZ_SECONDS ?= 60
FUZZ_CC    ?= clang
FUZZ_O     := $(O)/fuzz
FUZZ_SAN   := -fsanitize=address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer
FUZZ_CFLAGS := -std=c11 -D_GNU_SOURCE $(WARN) $(DEFS) -Iinclude \
	-Itests/fuzz $(shell pkg-config --cflags $(PKGS)) -pthread -MMD -MP \
	-g -O1 $(FUZZ_SAN)
FUZZ_LIB_OBJS := $(LIB_OBJS:$(O)/src/%.o=$(FUZZ_O)/src/%.o)
FUZZ_BINS  := $(FUZZ_TARGETS:%=$(FUZZ_O)/fuzz_%)

MAN8 := man/fimd.8
MAN5 := man/fimd.conf.5 man/fimd.rules.5 man/fimd.alerts.5 man/fimd.baseline.5

.PHONY: all check check-unit check-scenario sanitize lint install uninstall \
	deps bench clean tests fuzz fuzz-build

all: $(O)/fimd

$(O)/fimd: $(OBJS)
	$(CC) $(ALL_LDFLAGS) -o $@ $(OBJS) $(LIBS)

$(O)/src/%.o: src/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(O)/tests/lib/%.o: tests/lib/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Itests/lib -c -o $@ $<

$(O)/tests/%.o: tests/unit/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Itests/lib -c -o $@ $<

$(O)/tests/%.o: tests/scenario/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Itests/lib -c -o $@ $<

$(O)/tests/%.o: tests/fuzz/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Itests/fuzz -c -o $@ $<

$(O)/tests/fuzzlib/%.o: tests/fuzz/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Itests/fuzz -c -o $@ $<

# Tests link the modules from an archive, so each pulls in only what it
# uses (a unit test does not need the whole program to link).
$(O)/libfimd.a: $(LIB_OBJS)
	rm -f $@
	$(AR) rcs $@ $(LIB_OBJS)

$(O)/tests/%: $(O)/tests/%.o $(TLIB_OBJS) $(O)/libfimd.a
	$(CC) $(ALL_LDFLAGS) -o $@ $(O)/tests/$*.o $(TLIB_OBJS) \
		$(O)/libfimd.a $(LIBS) $(TEST_LIBS)

$(FUZZ_REPLAYS): $(O)/tests/fuzz_%: $(O)/tests/fuzz_%.o $(FUZZ_REPLAY_OBJS) \
		$(O)/libfimd.a
	$(CC) $(ALL_LDFLAGS) -o $@ $< $(FUZZ_REPLAY_OBJS) $(O)/libfimd.a \
		$(LIBS) $(TEST_LIBS)

tests: $(O)/fimd $(UNIT_BINS) $(FUZZ_REPLAYS) $(SCEN_BINS)

# check: warnings are errors; unit tests, the fuzz seeds replayed, then
# end-to-end scenarios against the real binary.  One summary line at the
# end; non-zero on any failure.
check:
	@$(MAKE) --no-print-directory WERROR=1 tests
	@FIMD=$(abspath $(O)/fimd) FIMD_SRCDIR=$(CURDIR) scripts/run-tests $(UNIT_BINS) $(FUZZ_REPLAYS) $(SCEN_BINS)

check-unit:
	@$(MAKE) --no-print-directory WERROR=1 $(O)/fimd $(UNIT_BINS) $(FUZZ_REPLAYS)
	@FIMD=$(abspath $(O)/fimd) FIMD_SRCDIR=$(CURDIR) scripts/run-tests $(UNIT_BINS) $(FUZZ_REPLAYS)

check-scenario:
	@$(MAKE) --no-print-directory WERROR=1 $(O)/fimd $(SCEN_BINS)
	@FIMD=$(abspath $(O)/fimd) FIMD_SRCDIR=$(CURDIR) scripts/run-tests $(SCEN_BINS)

# The same suite with AddressSanitizer and UndefinedBehaviorSanitizer, in
# its own object directory so objects never mix with the normal build.
sanitize:
	@FIMD_SANITIZED=1 $(MAKE) --no-print-directory O=$(O)/san \
		SANITIZE=address,undefined check

# Coverage-guided fuzzing with clang's libFuzzer, AddressSanitizer and
# UndefinedBehaviorSanitizer, in its own object directory.  Each target
# runs FUZZ_SECONDS; new inputs go to $(FUZZ_O)/corpus, crashes to
# $(FUZZ_O)/artifacts (never into the tree's seeds).
$(FUZZ_O)/src/%.o: src/%.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

$(FUZZ_O)/obj/%.o: tests/fuzz/%.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

$(FUZZ_O)/fuzz_%: $(FUZZ_O)/obj/fuzz_%.o $(FUZZ_O)/obj/fuzzlib.o \
		$(FUZZ_LIB_OBJS)
	$(FUZZ_CC) -fsanitize=fuzzer $(FUZZ_SAN) -pthread -o $@ $^ $(LIBS)

# Kept, so a second `make fuzz` rebuilds only what changed.
.SECONDARY: $(FUZZ_LIB_OBJS) $(FUZZ_O)/obj/fuzzlib.o \
	$(FUZZ_TARGETS:%=$(FUZZ_O)/obj/fuzz_%.o)

fuzz-build: $(FUZZ_BINS)

fuzz: fuzz-build
	FUZZ_SECONDS=$(FUZZ_SECONDS) scripts/fuzz-run $(FUZZ_O) $(FUZZ_TARGETS)

lint:
	scripts/checkstyle
	scripts/check-structure
	cppcheck --quiet --error-exitcode=1 --enable=warning,performance,portability \
		--inline-suppr --std=c11 -D_GNU_SOURCE -Iinclude \
		--include=/usr/include/jansson.h \
		--suppress=missingIncludeSystem src
	clang-tidy --quiet $(SRCS) -- -std=c11 -D_GNU_SOURCE -Iinclude \
		$(shell pkg-config --cflags $(PKGS)) $(DEFS)
	mandoc -Tlint -Wwarning $(MAN8) $(MAN5)

install: $(O)/fimd
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(MANDIR)/man8 \
		$(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(DATADIR)/fimd/rules.d \
		$(DESTDIR)$(SYSCONFDIR)/fimd/rules.d $(DESTDIR)$(UNITDIR) \
		$(DESTDIR)$(TMPFILESDIR) $(DESTDIR)$(LOGROTATEDIR)
	install -m 0755 $(O)/fimd $(DESTDIR)$(SBINDIR)/fimd
	install -m 0644 $(MAN8) $(DESTDIR)$(MANDIR)/man8/
	install -m 0644 $(MAN5) $(DESTDIR)$(MANDIR)/man5/
	install -m 0644 rules/*.json $(DESTDIR)$(DATADIR)/fimd/rules.d/
	sed 's|@SBINDIR@|$(SBINDIR)|g' packaging/fimd.service.in \
		> $(DESTDIR)$(UNITDIR)/fimd.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/fimd.service
	install -m 0644 packaging/fimd.tmpfiles $(DESTDIR)$(TMPFILESDIR)/fimd.conf
	sed 's|@SBINDIR@|$(SBINDIR)|g' packaging/fimd.logrotate.in \
		> $(DESTDIR)$(LOGROTATEDIR)/fimd
	chmod 0644 $(DESTDIR)$(LOGROTATEDIR)/fimd

uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/fimd
	rm -f $(DESTDIR)$(MANDIR)/man8/fimd.8
	rm -f $(addprefix $(DESTDIR)$(MANDIR)/man5/,$(notdir $(MAN5)))
	rm -f $(addprefix $(DESTDIR)$(DATADIR)/fimd/rules.d/,$(notdir $(wildcard rules/*.json)))
	-rmdir $(DESTDIR)$(DATADIR)/fimd/rules.d $(DESTDIR)$(DATADIR)/fimd
	rm -f $(DESTDIR)$(UNITDIR)/fimd.service $(DESTDIR)$(TMPFILESDIR)/fimd.conf
	rm -f $(DESTDIR)$(LOGROTATEDIR)/fimd

deps:
	scripts/deps.sh

bench: $(O)/fimd
	scripts/bench.sh

clean:
	rm -rf $(O)

-include $(OBJS:.o=.d) $(TLIB_OBJS:.o=.d) $(UNIT_BINS:=.d) $(SCEN_BINS:=.d) \
	$(FUZZ_REPLAYS:=.d) $(FUZZ_REPLAY_OBJS:.o=.d) \
	$(wildcard $(FUZZ_O)/src/*.d $(FUZZ_O)/obj/*.d)
