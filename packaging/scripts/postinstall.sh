#!/bin/sh
# deb runs it as "postinst configure [old version]", rpm as "%post N" with N
# the number of installed versions: 1 on a first install.
set -e
case "$1" in
configure)
	flags=/etc/default/stripe_exporter
	if [ -z "$2" ]; then first=yes; else first=no; fi
	;;
[0-9]*)
	flags=/etc/sysconfig/stripe_exporter
	if [ "$1" = 1 ]; then first=yes; else first=no; fi
	;;
*) exit 0 ;;
esac

# Only a running systemd can reload or restart: not in a container or a
# chroot, where the package must still install.
if [ -d /run/systemd/system ]; then
	systemctl daemon-reload || true
	if [ "$first" = no ]; then
		systemctl try-restart stripe_exporter.service || true
	fi
fi

# Not enabled here: the exporter cannot start until its key is in place.
if [ "$first" = yes ]; then
	cat <<MSG
stripe_exporter is installed but not enabled. To start it:
  1. Put a restricted Stripe API key (rk_...) in /etc/stripe_exporter/api-key,
     owned by root with mode 0600.
  2. Set its flags, if any, in $flags.
  3. systemctl enable --now stripe_exporter
MSG
fi
