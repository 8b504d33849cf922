#!/bin/sh
# Creates the system user and group the service runs as, before the files
# owned by the group are unpacked. Both package formats run it; the arguments
# (deb: install or upgrade; rpm: a count) do not matter here.
set -e
if ! getent group stripe_exporter >/dev/null; then
	groupadd --system stripe_exporter
fi
if ! getent passwd stripe_exporter >/dev/null; then
	useradd --system --gid stripe_exporter --no-create-home \
		--home-dir /nonexistent --shell /usr/sbin/nologin \
		--comment "Prometheus exporter for Stripe" stripe_exporter
fi
