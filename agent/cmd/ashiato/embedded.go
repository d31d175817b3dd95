package main

import (
	"github.com/ashiato/ashiato/agent/broker"
	"github.com/ashiato/ashiato/agent/config"
)

// checkEmbedded refuses the embedded broker for a live camera (broker.ErrLiveCamera): it accepts every
// client on the device, so any local process could pause capture or read tracks. The demo and replays
// film nobody and keep it.
func checkEmbedded(c *config.Config) error {
	if c.Live() && c.WithDefaults().MQTT.Broker == "embedded" {
		return broker.ErrLiveCamera
	}
	return nil
}
