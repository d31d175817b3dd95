// Package systemd embeds the hardened systemd units: ashiato.service (the agent) and
// ashiato-office.service (the back office).
//
// The unit files are the deliverable, installed by the Debian packages (deploy/debian) as
// /lib/systemd/system/*.service; this package exists so that tests can check the exact bytes shipped.
package systemd

import _ "embed"

// Unit is the content of ashiato.service.
//
//go:embed ashiato.service
var Unit []byte

// OfficeUnit is the content of ashiato-office.service.
//
//go:embed ashiato-office.service
var OfficeUnit []byte
