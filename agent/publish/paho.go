package publish

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/url"
	"sync"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
)

// pahoClient is a client on paho.mqtt.golang, for one connection: no auto-reconnect, no connect retry,
// persistent session. It opens the network connection itself so that abort can drop it without DISCONNECT.
type pahoClient struct {
	c paho.Client

	mu   sync.Mutex
	conn net.Conn
}

func dialPaho(o dialOptions) client {
	pc := &pahoClient{}
	opts := paho.NewClientOptions().
		AddBroker(o.broker).
		SetClientID(o.clientID).
		SetCleanSession(false).
		SetAutoReconnect(false).
		SetConnectRetry(false).
		SetResumeSubs(false).
		SetOrderMatters(true).
		SetKeepAlive(o.keepAlive).
		SetPingTimeout(o.keepAlive / 3).
		SetConnectTimeout(o.connectTimeout).
		SetWriteTimeout(o.connectTimeout).
		SetConnectionLostHandler(func(_ paho.Client, err error) { o.onLost(err) }).
		SetCustomOpenConnectionFn(func(u *url.URL, _ paho.ClientOptions) (net.Conn, error) {
			raw, err := openConn(u, o.tls, o.connectTimeout)
			if err != nil {
				return nil, err
			}
			var conn net.Conn = raw
			if o.maxPacket > 0 {
				conn = newLimitConn(raw, o.maxPacket, o.onSkipped)
			}
			pc.mu.Lock()
			pc.conn = conn
			pc.mu.Unlock()
			return conn, nil
		})
	if o.will.Topic != "" {
		opts.SetBinaryWill(o.will.Topic, o.will.Payload, o.will.QoS, o.will.Retain)
	}
	if o.username != "" {
		opts.SetUsername(o.username)
	}
	if o.password != "" {
		opts.SetPassword(o.password)
	}
	pc.c = paho.NewClient(opts)
	return pc
}

// openConn dials u's host:port over TCP, then TLS when tlsCfg is not nil.
func openConn(u *url.URL, tlsCfg *tls.Config, timeout time.Duration) (net.Conn, error) {
	d := &net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second}
	if tlsCfg != nil {
		return tls.DialWithDialer(d, "tcp", u.Host, tlsCfg)
	}
	return d.Dial("tcp", u.Host)
}

func (pc *pahoClient) connect() token { return pc.c.Connect() }

func (pc *pahoClient) publish(m Message) token {
	return pc.c.Publish(m.Topic, m.QoS, m.Retain, m.Payload)
}

func (pc *pahoClient) subscribe(filter string, qos byte, h func(Message)) token {
	return pc.c.Subscribe(filter, qos, func(_ paho.Client, m paho.Message) {
		h(Message{Topic: m.Topic(), Payload: m.Payload(), QoS: m.Qos(), Retain: m.Retained()})
	})
}

func (pc *pahoClient) disconnect(quiesce time.Duration) {
	pc.c.Disconnect(uint(quiesce / time.Millisecond))
	pc.abort() // Disconnect does nothing when paho thinks the connection is still being made
}

func (pc *pahoClient) abort() {
	pc.mu.Lock()
	conn := pc.conn
	pc.mu.Unlock()
	if conn != nil {
		_ = conn.Close()
	}
}

// SubscribeConfig configures Subscribe.
type SubscribeConfig struct {
	Broker   string // tcp://HOST:PORT
	ClientID string // must differ from the agent's own
	Filter   string // topic filter, e.g. "ashiato/v1/store/sensor/#"
}

// Subscribe connects a separate, clean-session client to cfg.Broker and calls h for every message on
// cfg.Filter until ctx is done. It returns once subscribed, or with the error that prevented it. h is called
// from paho's goroutine and must not block. It is used by the demo's live summary.
func Subscribe(ctx context.Context, cfg SubscribeConfig, h func(Message)) error {
	opts := paho.NewClientOptions().AddBroker(cfg.Broker).SetClientID(cfg.ClientID).
		SetCleanSession(true).SetAutoReconnect(true).SetConnectRetry(true).
		SetConnectRetryInterval(500 * time.Millisecond).SetOrderMatters(false)
	opts.SetOnConnectHandler(func(c paho.Client) {
		c.Subscribe(cfg.Filter, 1, func(_ paho.Client, m paho.Message) {
			h(Message{Topic: m.Topic(), Payload: m.Payload(), QoS: m.Qos(), Retain: m.Retained()})
		})
	})
	c := paho.NewClient(opts)
	tok := c.Connect()
	select {
	case <-tok.Done():
	case <-ctx.Done():
		c.Disconnect(0)
		return ctx.Err()
	case <-time.After(10 * time.Second):
		c.Disconnect(0)
		return errors.New("publish: subscriber: broker not reachable within 10s")
	}
	if err := tok.Error(); err != nil {
		return fmt.Errorf("publish: subscriber: %w", err)
	}
	go func() {
		<-ctx.Done()
		c.Disconnect(100)
	}()
	return nil
}
