package publish

import (
	"bufio"
	"errors"
	"fmt"
	"net"

	"github.com/ashiato/ashiato/agent/command"
)

// maxCommandTopic is the longest topic of a command the agent reads: its own prefix,
// ashiato/v1/<store>/<sensor>/ with each name at most 64 bytes, and a short leaf such as cmd/pause, with
// room to spare.
const maxCommandTopic = 256

// MaxInboundPacket is the longest MQTT packet the agent reads off the connection, counted as the
// packet's remaining length: a PUBLISH of a command of command.MaxPayload bytes under a topic of at most
// maxCommandTopic bytes, with the topic's length and a packet id. Every other packet a broker sends the
// agent (CONNACK, SUBACK, PUBACK, PINGRESP) is a few bytes. See limitConn.
const MaxInboundPacket = command.MaxPayload + 2 + maxCommandTopic + 2

// limitConn passes the broker's byte stream to paho unchanged, except that it reads every packet's fixed
// header (MQTT 3.1.1 §2.2) before handing any of it on, and acts on the remaining length before paho
// does: paho allocates a packet's whole length before it reads the packet, so a broker that forwards a
// 250 MB message would make the agent allocate 250 MB. A QoS 0 PUBLISH (all the agent subscribes to, its
// commands) longer than max is read through a small buffer and dropped without ever being held whole;
// any other packet longer than max ends the connection. Writes pass straight through.
type limitConn struct {
	net.Conn
	r       *bufio.Reader
	max     int
	skipped func(size int) // called for each PUBLISH dropped unread

	headBuf [5]byte
	head    []byte // a checked fixed header not yet handed on
	body    int    // bytes of the current packet not yet handed on
}

func newLimitConn(c net.Conn, max int, skipped func(int)) *limitConn {
	return &limitConn{Conn: c, r: bufio.NewReaderSize(c, 4096), max: max, skipped: skipped}
}

// Read implements net.Conn.
func (c *limitConn) Read(p []byte) (int, error) {
	for {
		if len(c.head) > 0 {
			n := copy(p, c.head)
			c.head = c.head[n:]
			return n, nil
		}
		if c.body > 0 {
			n, err := c.r.Read(p[:min(len(p), c.body)])
			c.body -= n
			return n, err
		}
		if len(p) == 0 {
			return 0, nil
		}
		if err := c.next(); err != nil {
			return 0, err
		}
	}
}

var errMalformedLength = errors.New("publish: the broker sent a packet whose length field runs over 4 bytes")

// next reads the next packet's fixed header and hands it on, drops the packet, or fails.
func (c *limitConn) next() error {
	b0, err := c.r.ReadByte()
	if err != nil {
		return err
	}
	c.headBuf[0] = b0
	n, length := 1, 0
	for shift := 0; ; shift += 7 {
		if n == len(c.headBuf) {
			c.Conn.Close()
			return errMalformedLength
		}
		b, err := c.r.ReadByte()
		if err != nil {
			return err
		}
		c.headBuf[n] = b
		n++
		length |= int(b&0x7f) << shift
		if b&0x80 == 0 {
			break
		}
	}
	switch {
	case length <= c.max:
		c.head, c.body = c.headBuf[:n], length
		return nil
	case b0>>4 == 3 && b0&0x06 == 0: // PUBLISH, QoS 0: nothing to acknowledge, so it can just vanish
		if _, err := c.r.Discard(length); err != nil {
			return err
		}
		c.skipped(length)
		return nil
	default:
		c.Conn.Close()
		return fmt.Errorf("publish: the broker sent a packet (type %d) of %d bytes, more than the %d this sensor reads; "+
			"connection closed", b0>>4, length, c.max)
	}
}
