package publish

import (
	"bytes"
	"errors"
	"net"
	"strconv"
	"strings"
	"testing"

	"github.com/eclipse/paho.mqtt.golang/packets"
)

// publishPacket is a PUBLISH of size bytes of payload on topic at qos, as a broker would send it.
func publishPacket(t *testing.T, topic string, size int, qos byte) []byte {
	t.Helper()
	p := packets.NewControlPacket(packets.Publish).(*packets.PublishPacket)
	p.TopicName, p.Payload, p.Qos = topic, bytes.Repeat([]byte{'x'}, size), qos
	if qos > 0 {
		p.MessageID = 7
	}
	var b bytes.Buffer
	if err := p.Write(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestLimitConn: paho reads, through limitConn, every packet within the limit unchanged, never a QoS 0
// PUBLISH over it (dropped unread and reported), and the connection ends at any other packet over it.
func TestLimitConn(t *testing.T) {
	const topic = "ashiato/v1/s1/cam1/cmd/pause"
	client, server := net.Pipe()
	var skipped []int
	lc := newLimitConn(client, MaxInboundPacket, func(n int) { skipped = append(skipped, n) })
	ack := packets.NewControlPacket(packets.Puback).(*packets.PubackPacket)
	ack.MessageID = 3
	var ackBytes bytes.Buffer
	ack.Write(&ackBytes)
	stream := [][]byte{
		publishPacket(t, topic, 100, 0),
		publishPacket(t, topic, 8<<20, 0), // 8 MiB: dropped
		ackBytes.Bytes(),
		publishPacket(t, topic, 1024, 0),             // the largest command there is
		publishPacket(t, topic, MaxInboundPacket, 1), // over the limit and acknowledged: ends the connection
	}
	go func() {
		for _, b := range stream {
			if _, err := server.Write(b); err != nil {
				return
			}
		}
	}()
	var got []string
	for {
		cp, err := packets.ReadPacket(lc)
		if err != nil {
			if !strings.Contains(err.Error(), "more than") {
				t.Fatalf("stream ended with %v, want the over-limit packet named", err)
			}
			break
		}
		switch p := cp.(type) {
		case *packets.PublishPacket:
			got = append(got, "publish "+p.TopicName+" "+strconv.Itoa(len(p.Payload)))
		case *packets.PubackPacket:
			got = append(got, "puback "+strconv.Itoa(int(p.MessageID)))
		}
	}
	want := "publish " + topic + " 100|puback 3|publish " + topic + " 1024"
	if strings.Join(got, "|") != want {
		t.Errorf("paho read %q, want %q", strings.Join(got, "|"), want)
	}
	if len(skipped) != 1 || skipped[0] < 8<<20 {
		t.Errorf("skipped %v, want the one 8 MiB publish", skipped)
	}
	if _, err := server.Write([]byte{0}); !errors.Is(err, net.ErrClosed) && err == nil {
		t.Error("the connection is still open")
	}
}
