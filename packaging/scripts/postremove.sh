#!/bin/sh
# deb runs it as "postrm remove" or "postrm purge" (among others), rpm as
# "%postun N": 0 when the package is erased.
#
# The stripe_exporter user and group stay, as Debian's policy has it: files
# the admin gave them (such as a TLS key) would otherwise be left to whoever
# gets their IDs next. userdel stripe_exporter removes both.
set -e
case "$1" in
remove | purge | 0) ;;
*) exit 0 ;;
esac

if [ -d /run/systemd/system ]; then
	systemctl daemon-reload || true
fi
