#!/bin/sh
# deb runs it as "prerm remove" (or upgrade, deconfigure, failed-upgrade),
# rpm as "%preun N": 0 when the package is erased, 1 on an upgrade.
set -e
case "$1" in
remove | 0) ;;
*) exit 0 ;;
esac

if [ -d /run/systemd/system ]; then
	systemctl stop stripe_exporter.service || true
fi
# disable only removes the unit's links, which needs no running systemd; the
# links would otherwise point at a unit that is gone.
if command -v systemctl >/dev/null; then
	systemctl --no-reload disable stripe_exporter.service >/dev/null 2>&1 || true
fi
