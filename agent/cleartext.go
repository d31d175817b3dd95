package agent

import (
	"net"
	"net/url"
)

// cleartextWarnings returns the status warning for a broker link that carries a password in clear text
// to another machine: a tcp:// (or mqtt://) broker whose host is not loopback, with a password set. Anyone on the
// network between the two can read it and then act as this sensor. A loopback broker (a bridge or tunnel
// on the device itself) is not flagged. It returns nil when there is nothing to say.
func cleartextWarnings(broker string, password bool) []string {
	u, err := url.Parse(broker)
	if err != nil || (u.Scheme != "tcp" && u.Scheme != "mqtt") || !password {
		return nil
	}
	host := u.Hostname()
	if ip := net.ParseIP(host); host == "localhost" || (ip != nil && ip.IsLoopback()) {
		return nil
	}
	return []string{"MQTT password sent in clear text to " + host + " (" + u.Scheme + "://): anyone on that network can " +
		"read it and act as this sensor; use tls://"}
}
