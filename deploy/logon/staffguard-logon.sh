#!/bin/sh
# StaffGuard lab logon/logoff script (macOS LoginHook/LogoutHook, Linux PAM exec or a
# display-manager session script): tells the admin site who uses this machine's address, so
# the proxy names that staff member on its events without a proxy login.
#
#   staffguard-logon.sh logon     # at logon  (POST   /api/v1/sessions)
#   staffguard-logon.sh logoff    # at logoff (DELETE /api/v1/sessions)
#
# Settings (environment, or /etc/staffguard/logon.env, mode 0600, root-owned):
#   STAFFGUARD_URL                 the admin site, e.g. https://staffguard.usd999.org
#   STAFFGUARD_SESSION_TOKEN_FILE  file with a `session` token (staffguard tokens create
#                                  lab-logon --scope session); default /etc/staffguard/session-token
#   STAFFGUARD_SESSION_TOKEN       or the token itself (never on a command line: ps shows those)
#   STAFFGUARD_USER                the staff member's email (default: $USER@$STAFFGUARD_DOMAIN)
#   STAFFGUARD_CLIENT              this machine's address as the proxy sees it (default: the
#                                  source address of the route to the admin site)
#   STAFFGUARD_MINUTES             how long the session lasts unless renewed (default 600)
# The token goes to curl on its standard input (-K -), never on curl's command line.
set -eu

[ -r /etc/staffguard/logon.env ] && . /etc/staffguard/logon.env

action=${1:-logon}
url=${STAFFGUARD_URL:?set STAFFGUARD_URL to the admin site}
token=${STAFFGUARD_SESSION_TOKEN:-}
if [ -z "$token" ]; then
    token=$(cat "${STAFFGUARD_SESSION_TOKEN_FILE:-/etc/staffguard/session-token}")
fi
user=${STAFFGUARD_USER:-${USER:-$(id -un)}@${STAFFGUARD_DOMAIN:-}}
client=${STAFFGUARD_CLIENT:-}
if [ -z "$client" ]; then
    host=$(printf '%s\n' "$url" | sed -e 's|^[a-z]*://||' -e 's|[:/].*$||')
    client=$(ip route get "$(getent hosts "$host" | awk '{print $1; exit}')" 2>/dev/null \
        | sed -n 's/.* src \([^ ]*\).*/\1/p')
fi
minutes=${STAFFGUARD_MINUTES:-600}

json_escape() { printf '%s' "$1" | sed -e 's/\\/\\\\/g' -e 's/"/\\"/g'; }

case "$action" in
    logon)
        method=POST
        body=$(printf '{"client": "%s", "user": "%s", "minutes": %d}' \
            "$(json_escape "$client")" "$(json_escape "$user")" "$minutes")
        ;;
    logoff)
        method=DELETE
        body=$(printf '{"client": "%s"}' "$(json_escape "$client")")
        ;;
    *)
        echo "usage: $0 logon|logoff" >&2
        exit 2
        ;;
esac

printf 'header = "Authorization: Bearer %s"\n' "$token" | curl --silent --show-error \
    --fail --max-time 10 --retry 3 -K - -X "$method" \
    -H 'Content-Type: application/json' --data "$body" "$url/api/v1/sessions" >/dev/null
echo "staffguard: $action $user at $client"
