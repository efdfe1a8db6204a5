#!/bin/sh
# Writes the Janus configuration Parley expects (the same as the Janus Parley starts itself:
# packages/server/src/features/calls/sfu/janus-process.ts) from the environment, then runs Janus.
# JANUS_API_SECRET and JANUS_ADMIN_KEY must equal the Parley nodes' settings of the same names.
set -eu
: "${JANUS_API_SECRET:?set JANUS_API_SECRET (the same on every Parley node)}"
: "${JANUS_ADMIN_KEY:?set JANUS_ADMIN_KEY (the same on every Parley node)}"
dir=/var/lib/janus/config
mkdir -p "$dir"
nat=""
[ -n "${JANUS_NAT_1_1:-}" ] && nat="nat_1_1_mapping = \"$JANUS_NAT_1_1\""
cat >"$dir/janus.jcfg" <<JCFG
general: {
  configs_folder = "$dir"
  debug_level = 3
  server_name = "parley"
  api_secret = "$JANUS_API_SECRET"
  session_timeout = 60
}
media: {
  rtp_port_range = "${JANUS_RTP_PORTS:-20000-20200}"
}
nat: {
  $nat
}
plugins: {
  disable = "libjanus_audiobridge.so,libjanus_echotest.so,libjanus_recordplay.so,libjanus_sip.so,libjanus_nosip.so,libjanus_streaming.so,libjanus_textroom.so,libjanus_videocall.so,libjanus_voicemail.so,libjanus_duktape.so,libjanus_lua.so"
}
transports: {
  disable = "libjanus_http.so,libjanus_mqtt.so,libjanus_nanomsg.so,libjanus_pfunix.so,libjanus_rabbitmq.so"
}
events: {
  broadcast = false
}
loggers: {
  disable = "libjanus_jsonlog.so"
}
JCFG
cat >"$dir/janus.plugin.videoroom.jcfg" <<JCFG
general: {
  string_ids = true
  admin_key = "$JANUS_ADMIN_KEY"
  lock_rtp_forward = true
}
JCFG
cat >"$dir/janus.transport.websockets.jcfg" <<JCFG
general: {
  json = "compact"
  ws = true
  ws_port = 8188
  ws_ip = "${JANUS_WS_IP:-0.0.0.0}"
  wss = false
}
admin: {
  admin_ws = false
  admin_wss = false
}
JCFG
exec janus --configs-folder "$dir" --disable-colors
