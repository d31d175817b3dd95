// Package systemd embeds ashiato.service, the hardened systemd unit that runs the agent on a Raspberry Pi.
//
// The unit file is the deliverable; this package exists so that a packaging tool can ship the exact bytes
// that the tests here check.
package systemd

import _ "embed"

// Unit is the content of ashiato.service, to be installed as /etc/systemd/system/ashiato.service (or
// /lib/systemd/system/ashiato.service by a package).
//
//go:embed ashiato.service
var Unit []byte
