package event

// Identity is "<store>/<sensor>": the sensor's username in the broker's ACL (deploy/mosquitto), where %u
// expands to exactly the two names of its topic prefix, and its default MQTT client id. The shipped
// broker configuration replaces every client's id with its username (Mosquitto's
// use_username_as_clientid), so that a credential can neither resume nor knock off another client's
// session; the default id is the same string, so that a broker without that rule sees the same identity.
func (t Topics) Identity() string { return t.Store + "/" + t.Sensor }
