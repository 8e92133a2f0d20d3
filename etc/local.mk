# etc/: the configuration, the systemd unit, and the sysusers.d and
# tmpfiles.d entries that give the unit its user and directories
# (docs/operations.md). The same paths go into the unit, the installed
# rxdesk.conf and the sysusers/tmpfiles entries, from configure's
# directories: `./configure --prefix=/usr` installs Debian's layout
# (/usr, /etc/rxdesk, /var/lib/rxdesk).
rxconfdir = $(sysconfdir)/rxdesk
rxstatedir = $(localstatedir)/lib/rxdesk
rxlogdir = $(localstatedir)/log/rxdesk
systemdsystemunit_DATA = etc/rxdeskd.service
nodist_sysusers_DATA = etc/sysusers.d/rxdesk.conf
nodist_tmpfiles_DATA = etc/tmpfiles.d/rxdesk.conf
CLEANFILES += etc/rxdeskd.service etc/sysusers.d/rxdesk.conf \
	etc/tmpfiles.d/rxdesk.conf etc/rxdesk.conf.installed
EXTRA_DIST += etc/rxdeskd.service.in etc/rxdesk.demo.conf etc/rxdesk.conf \
	etc/rxdesk.sysusers.in etc/rxdesk.tmpfiles.in

# StateDirectory= and LogsDirectory= name directories under /var only.
RX_SUBST = sed -e 's|@sbindir[@]|$(sbindir)|g' -e 's|@rxconfdir[@]|$(rxconfdir)|g' \
	-e 's|@rxstatedir[@]|$(rxstatedir)|g' -e 's|@rxlogdir[@]|$(rxlogdir)|g'
etc/rxdeskd.service: etc/rxdeskd.service.in Makefile
	$(AM_V_GEN)mkdir -p etc && \
	if test '$(rxstatedir)' = /var/lib/rxdesk; then \
	  st='StateDirectory=rxdesk\nStateDirectoryMode=0700'; \
	else st='ReadWritePaths=$(rxstatedir) $(rxlogdir)'; fi; \
	if test '$(rxlogdir)' != /var/log/rxdesk; then \
	  lg='/^LogsDirectory/d'; else lg=''; fi; \
	$(RX_SUBST) -e "s|@statedirectives[@]|$$st|" -e "$$lg" \
	    $(srcdir)/etc/rxdeskd.service.in > $@.tmp && mv $@.tmp $@
etc/sysusers.d/rxdesk.conf: etc/rxdesk.sysusers.in Makefile
	$(AM_V_GEN)mkdir -p etc/sysusers.d && $(RX_SUBST) $(srcdir)/etc/rxdesk.sysusers.in > $@
etc/tmpfiles.d/rxdesk.conf: etc/rxdesk.tmpfiles.in Makefile
	$(AM_V_GEN)mkdir -p etc/tmpfiles.d && $(RX_SUBST) $(srcdir)/etc/rxdesk.tmpfiles.in > $@
# The shipped rxdesk.conf with this build's data directory.
etc/rxdesk.conf.installed: etc/rxdesk.conf Makefile
	$(AM_V_GEN)mkdir -p etc && sed -e 's|^data_dir = .*|data_dir = $(rxstatedir)|' \
	    -e 's|/etc/rxdesk/|$(rxconfdir)/|g' $(srcdir)/etc/rxdesk.conf > $@

# rxdesk.conf is the administrator's once changed: an upgrade replaces it
# only while it equals the copy shipped last time (kept in $(pkgdatadir));
# otherwise the new one goes beside it as rxdesk.conf.new. Mode 0640: it
# may hold secrets (tmpfiles.d gives it to the group rxdesk).
RX_CONF = $(DESTDIR)$(rxconfdir)/rxdesk.conf
RX_CONF_REF = $(DESTDIR)$(pkgdatadir)/rxdesk.conf.shipped
install-data-local: etc/rxdesk.conf.installed
	$(MKDIR_P) '$(DESTDIR)$(rxconfdir)' '$(DESTDIR)$(pkgdatadir)'
	@if test ! -f '$(RX_CONF)' || cmp -s '$(RX_CONF)' '$(RX_CONF_REF)'; then \
	  echo " INSTALL $(rxconfdir)/rxdesk.conf"; \
	  $(INSTALL) -m 0640 etc/rxdesk.conf.installed '$(RX_CONF)'; \
	elif ! cmp -s '$(RX_CONF)' etc/rxdesk.conf.installed; then \
	  echo "rxdesk.conf was changed: kept; the new one is $(rxconfdir)/rxdesk.conf.new"; \
	  $(INSTALL) -m 0640 etc/rxdesk.conf.installed '$(RX_CONF).new'; \
	fi
	$(INSTALL_DATA) etc/rxdesk.conf.installed '$(RX_CONF_REF)'

# On the machine itself (no DESTDIR): create the user and the directories
# now rather than at the next boot, and tell systemd about the unit.
install-data-hook:
	@if test -z '$(DESTDIR)'; then \
	  if command -v systemd-sysusers >/dev/null; then \
	    systemd-sysusers '$(sysusersdir)/rxdesk.conf' || echo "rxdesk: run systemd-sysusers as root"; fi; \
	  if command -v systemd-tmpfiles >/dev/null; then \
	    systemd-tmpfiles --create '$(tmpfilesdir)/rxdesk.conf' || echo "rxdesk: run systemd-tmpfiles --create as root"; fi; \
	  if test -d /run/systemd/system; then systemctl daemon-reload || :; fi; \
	fi

# Nothing of ours stays but the data ($(rxstatedir)), a configuration the
# administrator changed, and the user rxdesk (system users are never
# removed: files may still carry its uid).
uninstall-local:
	@if test -z '$(DESTDIR)' && test -d /run/systemd/system; then \
	  systemctl disable --now rxdeskd.service 2>/dev/null || :; fi
	@w='$(DESTDIR)/etc/systemd/system/multi-user.target.wants/rxdeskd.service'; \
	  if test -L "$$w"; then rm -f "$$w"; fi
	@if test -f '$(RX_CONF)' && ! cmp -s '$(RX_CONF)' '$(RX_CONF_REF)'; then \
	  echo "rxdesk: $(rxconfdir)/rxdesk.conf was changed: kept"; \
	else rm -f '$(RX_CONF)'; fi
	rm -f '$(RX_CONF_REF)' '$(RX_CONF).new'
uninstall-hook:
	-for d in '$(DESTDIR)$(pkgdatadir)/screening/en' '$(DESTDIR)$(pkgdatadir)/screening/uk' \
	    '$(DESTDIR)$(pkgdatadir)/screening/ru' '$(DESTDIR)$(pkgdatadir)/screening/zh' \
	    '$(DESTDIR)$(pkgdatadir)/screening' '$(DESTDIR)$(pkgdatadir)/web/forms' \
	    '$(DESTDIR)$(pkgdatadir)/web/i18n' '$(DESTDIR)$(pkgdatadir)/web/vendor/uplot' \
	    '$(DESTDIR)$(pkgdatadir)/web/vendor' '$(DESTDIR)$(pkgdatadir)/web' \
	    '$(DESTDIR)$(pkgdatadir)/templates' '$(DESTDIR)$(pkgdatadir)' '$(DESTDIR)$(docdir)' \
	    '$(DESTDIR)$(rxconfdir)' '$(DESTDIR)$(rxlogdir)'; do \
	  test ! -d "$$d" || rmdir "$$d" 2>/dev/null || :; done
	@if test -z '$(DESTDIR)' && test -d /run/systemd/system; then systemctl daemon-reload || :; fi
