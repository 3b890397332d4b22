---@meta synack
-- types/synack.lua: LuaCATS type declarations of synack's Lua API, for
-- lua-language-server (Neovim's lua_ls, VS Code's Lua extension). Nothing
-- here runs: it only tells the language server what `require "synack"`
-- returns, so that completion, hover and type checks know every function,
-- method, field and option table. The reference is docs/api.md; this file
-- follows it, and spec/meta_spec.lua checks it against the live objects and
-- against docs/api.md on every test run.
--
-- Use: add this directory to the server's library, for example in
-- .luarc.json
--     { "workspace.library": ["/path/to/synack/types"] }
-- or in Neovim (nvim-lspconfig)
--     settings = { Lua = { workspace = { library = { "/path/to/synack/types" } } } }
-- Do not put types/ on package.path: these stubs would shadow the module.
--
-- types/synack/expect.lua and types/synack/pkt.lua declare the modules
-- `synack.expect` and `synack.pkt`.

-- Names ------------------------------------------------------------------------

---A connection state, spelled as RFC 9293 spells it.
---@alias synack.State
---| "CLOSED"
---| "LISTEN"
---| "SYN-SENT"
---| "SYN-RECEIVED"
---| "ESTABLISHED"
---| "FIN-WAIT-1"
---| "FIN-WAIT-2"
---| "CLOSE-WAIT"
---| "CLOSING"
---| "LAST-ACK"
---| "TIME-WAIT"

---The name of an error code; `synack.errors[code]` is its message. File
---and libuv errors use errno names (`ENOENT`, `EACCES`, ...) as well.
---@alias synack.ErrorCode
---| "ECONNREFUSED"
---| "ECONNRESET"
---| "ECONNABORTED"
---| "ETIMEDOUT"
---| "ENOTCONN"
---| "EISCONN"
---| "ECLOSING"
---| "EADDRINUSE"
---| "EADDRNOTAVAIL"
---| "EAGAIN"
---| "ENOBUFS"
---| "ENOMEM"
---| "EINVAL"
---| "EPIPE"
---| "EOF"
---| "EHOSTUNREACH"
---| "EAFNOSUPPORT"
---| "EPERM"
---| "ENODEV"
---| "ETRUNCATED"
---| "EBADVERSION"
---| "EBADIPHDR"
---| "EBADIPLEN"
---| "ENOTTCP"
---| "EFRAGMENT"
---| "EBADOFFSET"
---| "EBADOPTION"
---| "ETOOBIG"
---| string

---The kind of a segment: the first of these that applies.
---@alias synack.SegmentKind "rst"|"syn"|"synack"|"fin"|"data"|"ack"

---`"out"`: the host sends the segment; `"in"`: it is delivered to the host.
---@alias synack.Dir "in"|"out"

---Hook events of segments: one per segment kind, and `"segment"` for all.
---@alias synack.SegmentEvent "syn"|"synack"|"ack"|"data"|"fin"|"rst"|"segment"

---Every hook event; `"error"` only on a network.
---@alias synack.HookEvent synack.SegmentEvent|"state"|"error"

---A segment hook. Return nothing to let the segment pass, `false` to drop
---it, or a segment to send or process in its place; changing `seg` in place
---also counts. `conn` is nil when no connection owns the segment yet (a SYN
---for a listener) and on raw hosts.
---@alias synack.SegmentHook fun(conn: synack.Conn|nil, seg: synack.Segment, dir: synack.Dir): (synack.Segment|false|nil)

---A state hook: `seg` is the segment that caused the change, if any.
---@alias synack.StateHook fun(conn: synack.Conn, from: synack.State, to: synack.State, seg: synack.Segment|nil)

---A network's error hook: a Lua error raised in a hook or a task.
---`what` says where (`"a segment hook"`, `"a state hook"`, `"a task"`...).
---@alias synack.ErrorHook fun(message: string, what: string)

---Anything a host can sit on.
---@alias synack.Link synack.Wire|synack.Udp|synack.Tun

-- The module -------------------------------------------------------------------

---The module `require "synack"` returns.
---@class synack
---@field errors table<synack.ErrorCode, string> every error code name and its message
---@field _VERSION string `"synack scm"`
---@field any synack.Any matcher of anything; present after `require "synack.expect"`
---@field ksock synack.ksock the kernel's own socket calls (the kernel target of synack.pkt uses them)
local synack = {}

---A new network: a clock, a seeded PRNG, links, hosts and the trace.
---@param opts? synack.NetworkOpts
---@return synack.Network|nil net
---@return string|nil err `"ENOMEM: ..."`, or a libuv error when a real clock cannot start
---@return synack.ErrorCode|nil code
function synack.network(opts) end

---A new segment: the defaults, then each field set as `seg.field = value` would.
---@param fields? synack.SegmentFields
---@return synack.Segment
function synack.segment(fields) end

---Parses one IPv4 or IPv6 packet with TCP inside. Never raises on bad bytes.
---@param bytes string
---@return synack.Segment|nil seg
---@return string|nil err `"ETRUNCATED: packet truncated"`, ...
---@return synack.ErrorCode|nil code
function synack.parse(bytes) end

---Opens (creates or truncates) a pcap file of link type RAW.
---@param path string
---@return synack.Capture|nil cap
---@return string|nil err `"ENAME: path: message"`
---@return string|nil code the errno name (`ENOENT`, `EACCES`, ...)
function synack.pcap(path) end

---Writes a whole pcap file: each element of `list`, `times[i]` seconds (default 0).
---@param path string
---@param list (synack.Segment|string)[] segments or packet byte strings
---@param times? number[]
---@return true|nil ok
---@return string|nil err
---@return string|nil code
function synack.write_pcap(path, list, times) end

---A matcher of numbers `lo <= x <= hi`; present after `require "synack.expect"`.
---@param lo number
---@param hi number
---@return synack.Range
function synack.range(lo, hi) end

-- Option tables ------------------------------------------------------------------

---Options of `synack.network`. Any other field raises.
---@class synack.NetworkOpts
---@field clock? "virtual"|"real" `"virtual"` (default): discrete-event time; `"real"`: the wall clock on libuv
---@field seed? integer PRNG seed (default 1): the same seed and script give the same trace
---@field trace? boolean `false` keeps only the events of the last step
---@field wait_limit? number|false seconds of network time a blocking call without a timeout may drive the network (default: one day on a virtual network, none in real time); `false`: no limit

---Options of `net:wire` and `wire:set`. All optional; the default wire is perfect.
---@class synack.WireOpts
---@field delay? number seconds, one-way propagation delay
---@field jitter? number seconds; each packet's delay moves by up to this much either way
---@field loss? number probability 0..1 that a packet is lost
---@field duplicate? number probability that a second copy is delivered
---@field reorder? number probability that a packet is held back
---@field reorder_delay? number seconds; the longest extra hold (0: max(delay, 1 ms))
---@field corrupt? number probability that one byte of TCP header or payload changes
---@field rate? number bytes per second per sender (0: unlimited)
---@field queue? integer packets a sender may have waiting (0: unlimited)
---@field mtu? integer bytes; larger packets are dropped (0: unlimited)

---Fields of `net:host`. `addr` and `link` are required.
---@class synack.HostOpts
---@field addr string the host's IPv4 or IPv6 address
---@field link synack.Link a link of the same network
---@field raw? boolean a host with no TCP: it only injects and observes
---@field mtu? integer 68..65535 (default 1500)
---@field msl? number|boolean seconds (default 30); TIME-WAIT lasts 2 MSL
---@field rto_init? number|boolean seconds (default 1)
---@field rto_min? number|boolean seconds (default 1)
---@field rto_max? number|boolean seconds (default 60)
---@field delack? number|boolean seconds (default 0.2, at most 0.5)
---@field syn_retries? integer 0..255 (default 7)
---@field data_retries? integer 0..255 (default 15)
---@field r1_retries? integer 0..255 (default 3); 0: never

---Connection options of `host:connect` and `host:listen`; `false` turns an
---option off.
---@class synack.ConnOpts
---@field isn? integer 0..2^32-1, the initial send sequence number (default: RFC 6528)
---@field port? integer local port of `connect` (default: ephemeral, 49152 up)
---@field mss? integer 1..65535, the MSS announced in the SYN
---@field wscale? integer|false 0..14; `false`: no window-scale option
---@field sack? boolean offer and use SACK (default true)
---@field timestamps? boolean offer and use timestamps (default true)
---@field nagle? boolean Nagle's algorithm (default true)
---@field delayed_ack? boolean delay ACKs up to the host's `delack` (default true)
---@field sndbuf? integer bytes, 1..2^30 (default 131072)
---@field rcvbuf? integer bytes, 1..2^30 (default 131072)
---@field cc? "newreno"|"cubic" congestion control (default "newreno")
---@field ttl? integer 1..255 (default 64)
---@field tos? integer 0..255 (default 0)
---@field keepalive? number|boolean idle seconds before the first probe; `true`: 7200
---@field user_timeout? number|boolean give up after this many seconds unacknowledged

---Options of `host:listen`: connection options for what it accepts, and `backlog`.
---@class synack.ListenOpts: synack.ConnOpts
---@field backlog? integer 1..65535 (default 128)

---Options of `c:send`.
---@class synack.SendOpts
---@field push? boolean PUSH: send at once, PSH on the segment carrying the end
---@field urgent? boolean the urgent pointer marks the end of the data

---Options of `net:udp`.
---@class synack.UdpOpts
---@field bind string `"ip:port"` to bind (port 0: any free port)
---@field peer? string `"ip:port"`; without it replies go to the last sender

---Options of `net:tun`.
---@class synack.TunOpts
---@field name string the device name
---@field addr string|string[] the kernel side's address(es), CIDR (`"198.18.0.1/24"`)
---@field mtu? integer 68..65535

---Options of `net:ladder`. A bad value raises an error naming the option.
---@class synack.LadderOpts
---@field relative? boolean sequence numbers relative to each side's ISN
---@field width? integer text width, at least 30 (default 80)
---@field from? number only events at or after this time (seconds)
---@field to? number only events at or before this time (seconds)
---@field last? integer only the last this many events drawn
---@field hosts? (string|synack.Host)[] the columns, in order
---@field format? "text"|"svg"
---@field file? string also write the result to this file

-- Network ----------------------------------------------------------------------

---A network: its clock, PRNG, links, hosts and trace.
---@class synack.Network
---@field now number seconds since the network was made
---@field closed boolean true after `net:close()`
---@field wait_limit number|false the network's limit on blocking calls without a timeout (see `synack.NetworkOpts`)
local Network = {}

---A new in-memory link between hosts of this network.
---@param opts? synack.WireOpts
---@return synack.Wire|nil wire
---@return string|nil err
---@return synack.ErrorCode|nil code `EINVAL`, `ENOMEM`
function Network:wire(opts) end

---A new host on a link of this network.
---@param opts synack.HostOpts
---@return synack.Host|nil host
---@return string|nil err
---@return synack.ErrorCode|nil code `EADDRINUSE`, `EINVAL`, `ENOMEM`
function Network:host(opts) end

---A link carrying each IP packet in one UDP datagram (real clock only).
---@param opts synack.UdpOpts
---@return synack.Udp|nil link
---@return string|nil err `"ENAME: bind: message"`
---@return synack.ErrorCode|nil code
function Network:udp(opts) end

---A link on a Linux TUN device (real clock only; needs CAP_NET_ADMIN).
---@param opts synack.TunOpts
---@return synack.Tun|nil link
---@return string|nil err `"ENAME: cannot open TUN device name: message"`
---@return synack.ErrorCode|nil code `EPERM`, `ENODEV`, `EINVAL`, ...
function Network:tun(opts) end

---The network's hosts, in the order they were added.
---@return synack.Host[]
function Network:hosts() end

---Processes exactly one event; nil when nothing is pending.
---@return synack.Event|nil event
function Network:step() end

---Processes events until nothing is pending (real clock: until `net:stop()`).
---@return true
function Network:run() end

---Runs until `pred()` returns truthy.
---@param pred fun(): any
---@param timeout? number seconds of network time
---@return true|nil ok
---@return string|nil err `"ETIMEDOUT: ..."`
---@return synack.ErrorCode|nil code
function Network:run_until(pred, timeout) end

---Processes every event due within `seconds`, then sets the clock to now + seconds.
---@param seconds number
---@return true
function Network:advance(seconds) end

---In a task: yields until the time has passed. Elsewhere: `net:advance(seconds)`.
---@param seconds number
---@return true
function Network:sleep(seconds) end

---Starts `fn(...)` as a task of the network; blocking-style calls inside it yield.
---@param fn function
---@param ... any
---@return thread
function Network:spawn(fn, ...) end

---Makes the running `net:run()` return (real clock only).
function Network:stop() end

---Frees the network and everything in it now.
function Network:close() end

---A new list of the events so far.
---@return synack.Event[]
function Network:trace() end

---The trace as a ladder diagram, text (80 columns) or SVG.
---@param opts? synack.LadderOpts
---@return string|nil diagram
---@return string|nil err `"EIO: ..."` when `file` cannot be written
---@return synack.ErrorCode|nil code
function Network:ladder(opts) end

---Writes every packet the network's hosts send (and real links receive) to
---the pcap file `path`; with no path, stops capturing.
---@param path? string
---@return true|nil ok
---@return string|nil err `"EIO: path: message"`
---@return synack.ErrorCode|nil code
function Network:capture(path) end

---Records an `app` event with `what = text`, at `host` when given.
---@param text string
---@param host? synack.Host
function Network:app(text, host) end

---Adds a hook for `event`.
---@param event synack.SegmentEvent
---@param fn synack.SegmentHook
---@return synack.Network
---@overload fun(self: synack.Network, event: "state", fn: synack.StateHook): synack.Network
---@overload fun(self: synack.Network, event: "error", fn: synack.ErrorHook): synack.Network
function Network:on(event, fn) end

---Removes `fn`, or every hook of `event`.
---@param event synack.HookEvent
---@param fn? function
---@return synack.Network
function Network:off(event, fn) end

-- Links --------------------------------------------------------------------------

---An in-memory link. The fields hold the current impairments.
---@class synack.Wire
---@field delay number seconds
---@field jitter number seconds
---@field reorder_delay number seconds
---@field loss number probability
---@field duplicate number probability
---@field reorder number probability
---@field corrupt number probability
---@field rate number bytes per second (0: unlimited)
---@field queue integer packets (0: unlimited)
---@field mtu integer bytes (0: unlimited)
---@field net synack.Network
local Wire = {}

---Changes the given fields from now on.
---@param opts synack.WireOpts
---@return synack.Wire
function Wire:set(opts) end

---Writes every packet this wire's hosts put on it, as sent (before the
---wire's impairments), to the pcap file `path` (closing the file of a
---previous call); with no path, stops. Independent of `net:capture`.
---@param path? string
---@return true|nil ok
---@return string|nil err `"EIO: path: message"`
---@return synack.ErrorCode|nil code
function Wire:capture(path) end

---A UDP link (`net:udp`).
---@class synack.Udp
---@field sockname string the bound `"ip:port"`
---@field sent integer datagrams sent
---@field received integer datagrams received
---@field failed integer datagrams that could not be sent
---@field net synack.Network
local Udp = {}

---Writes every packet this link's hosts put on it, and every packet it
---receives from outside, to the pcap file `path` (closing the file of a
---previous call); with no path, stops. Independent of `net:capture`.
---@param path? string
---@return true|nil ok
---@return string|nil err `"EIO: path: message"`
---@return synack.ErrorCode|nil code
function Udp:capture(path) end

---A TUN link (`net:tun`).
---@class synack.Tun
---@field name string the device name
---@field sent integer packets sent
---@field received integer packets received
---@field failed integer packets that could not be sent
---@field net synack.Network
local Tun = {}

---Writes every packet this link's hosts put on it, and every packet it
---receives from outside, to the pcap file `path` (closing the file of a
---previous call); with no path, stops. Independent of `net:capture`.
---@param path? string
---@return true|nil ok
---@return string|nil err `"EIO: path: message"`
---@return synack.ErrorCode|nil code
function Tun:capture(path) end

-- Hosts ----------------------------------------------------------------------------

---A host: one address on a link, with a TCP of its own unless raw.
---@class synack.Host
---@field addr string
---@field raw boolean
---@field index integer its position in `net:hosts()`
---@field net synack.Network
local Host = {}

---Listens on `port`.
---@param port integer 1..65535
---@param opts? synack.ListenOpts
---@return synack.Listener|nil listener
---@return string|nil err
---@return synack.ErrorCode|nil code `EADDRINUSE`, `EINVAL`, `ENOMEM`
function Host:listen(port, opts) end

---Opens a connection; it returns at once, in SYN-SENT (the SYN is sent).
---@param addr string
---@param port integer 1..65535
---@param opts? synack.ConnOpts
---@return synack.Conn|nil conn
---@return string|nil err
---@return synack.ErrorCode|nil code `EAFNOSUPPORT`, `EINVAL`, `EADDRINUSE`, `EADDRNOTAVAIL`, `ENOMEM`
function Host:connect(addr, port, opts) end

---Puts `seg` on the host's link exactly as it is, bypassing TCP.
---@param seg synack.Segment
---@return true|nil ok
---@return string|nil err
---@return synack.ErrorCode|nil code `EINVAL`, `ETOOBIG`
function Host:inject(seg) end

---The number of connections the host holds, in any state.
---@return integer
function Host:count() end

---Adds a hook for `event`.
---@param event synack.SegmentEvent
---@param fn synack.SegmentHook
---@return synack.Host
---@overload fun(self: synack.Host, event: "state", fn: synack.StateHook): synack.Host
function Host:on(event, fn) end

---Removes `fn`, or every hook of `event`.
---@param event synack.HookEvent
---@param fn? function
---@return synack.Host
function Host:off(event, fn) end

---(`require "synack.expect"`) Waits for the next segment the host receives
---and checks it against `spec`; raises listing every difference.
---@param spec synack.ExpectSpec
---@return synack.Segment seg
---@return number t the time it arrived
function Host:expect(spec) end

---(`require "synack.expect"`) Raises when a segment arrives within `spec.within`.
---@param spec synack.ExpectNoneSpec
---@return true
function Host:expect_none(spec) end

---(`require "synack.expect"`) Builds a segment from `spec` and the host's
---remembered 4-tuple, and injects it. Raises on a failed inject.
---@param spec synack.SendSpec
---@return synack.Segment
function Host:send(spec) end

-- Listeners ------------------------------------------------------------------------

---A listening port (`host:listen`).
---@class synack.Listener
---@field port integer nil once closed
---@field pending integer connections ready to accept (nil once closed)
---@field host synack.Host
---@field net synack.Network
local Listener = {}

---An established connection; waits (blocking-style) until one is ready.
---With `timeout = 0`: the connection, or nil at once.
---@param timeout? number seconds
---@return synack.Conn|nil conn
---@return string|nil err `"ETIMEDOUT: ..."`
---@return synack.ErrorCode|nil code
function Listener:accept(timeout) end

---Stops listening; connections not yet accepted are reset.
function Listener:close() end

---Adds a hook for `event`; connections it accepts inherit it.
---@param event synack.SegmentEvent
---@param fn synack.SegmentHook
---@return synack.Listener
---@overload fun(self: synack.Listener, event: "state", fn: synack.StateHook): synack.Listener
function Listener:on(event, fn) end

---Removes `fn`, or every hook of `event`.
---@param event synack.HookEvent
---@param fn? function
---@return synack.Listener
function Listener:off(event, fn) end

-- Connections ----------------------------------------------------------------------

---A connection (`host:connect`, `l:accept`).
---@class synack.Conn
---@field state synack.State `"CLOSED"` also once freed or its network closed
---@field ["local"] string `"addr:port"` (nil once freed)
---@field remote string `"addr:port"` (nil once freed)
---@field host synack.Host
---@field net synack.Network
local Conn = {}

---Queues data; the number of bytes accepted (maybe fewer than `#data`).
---@param data string
---@param opts? synack.SendOpts
---@return integer|nil n
---@return string|nil err
---@return synack.ErrorCode|nil code `ECONNRESET`, `EPIPE`, `ENOTCONN`, ...
function Conn:send(data, opts) end

---Sends all of `data`, waiting (blocking-style) for buffer room.
---@param data string
---@param timeout? number seconds
---@return integer|nil n `#data`
---@return string|nil err
---@return synack.ErrorCode|nil code
function Conn:sendall(data, timeout) end

---Receives 1..`max` bytes, waiting (blocking-style) for data, the FIN or an
---error; `nil, "EOF", "EOF"` after the peer's FIN. With `timeout = 0`: `""`
---when nothing is buffered.
---@param max? integer default 65536
---@param timeout? number seconds
---@return string|nil data
---@return string|nil err
---@return synack.ErrorCode|nil code `EOF`, `ECLOSING`, `ETIMEDOUT`, ...
function Conn:recv(max, timeout) end

---Closes as a socket's close: a FIN after the queued data.
---@return true|nil ok
---@return string|nil err
---@return synack.ErrorCode|nil code `ECLOSING`, `ENOTCONN`, ...
function Conn:close() end

---Half-close: the FIN, and reading goes on until the peer's FIN.
---@return true|nil ok
---@return string|nil err
---@return synack.ErrorCode|nil code
function Conn:shutdown() end

---Change `nagle`, `delayed_ack`, `keepalive`, `user_timeout`, `ttl`, `tos` of the open
---connection; any other option raises.
---@param opts synack.ConnOpts
---@return true|nil ok
---@return string|nil err
---@return synack.ErrorCode|nil code
function Conn:set(opts) end

---RST when the state calls for one, and CLOSED at once.
---@return true|nil ok
---@return string|nil err
---@return synack.ErrorCode|nil code
function Conn:abort() end

---Waits (blocking-style) until `c.state == state`.
---@param state synack.State
---@param timeout? number seconds
---@return true|nil ok
---@return string|nil err the error that closed the connection, or `"ETIMEDOUT: ..."`
---@return synack.ErrorCode|nil code
function Conn:wait(state, timeout) end

---The connection's variables.
---@return synack.ConnInfo|nil info
---@return string|nil err
---@return synack.ErrorCode|nil code `ENOTCONN` once freed
function Conn:info() end

---Adds a hook for `event`.
---@param event synack.SegmentEvent
---@param fn synack.SegmentHook
---@return synack.Conn
---@overload fun(self: synack.Conn, event: "state", fn: synack.StateHook): synack.Conn
function Conn:on(event, fn) end

---Removes `fn`, or every hook of `event`.
---@param event synack.HookEvent
---@param fn? function
---@return synack.Conn
function Conn:off(event, fn) end

---(`require "synack.expect"`) Checks the next segment the connection
---receives, numbers relative to its `iss` and `irs`.
---@param spec synack.ExpectSpec
---@return synack.Segment seg
---@return number t
function Conn:expect(spec) end

---(`require "synack.expect"`) Raises when a segment arrives within `spec.within`.
---@param spec synack.ExpectNoneSpec
---@return true
function Conn:expect_none(spec) end

---What `c:info()` returns. Sequence numbers are integers 0..2^32-1.
---@class synack.ConnInfo
---@field state synack.State
---@field iss integer initial send sequence number
---@field irs integer initial receive sequence number (0 before the peer's SYN)
---@field snd_una integer oldest unacknowledged
---@field snd_nxt integer next to send
---@field snd_max integer highest sent so far
---@field snd_wnd integer bytes, the peer's window (scaled)
---@field rcv_nxt integer next expected from the peer
---@field rcv_wnd integer bytes, the window offered
---@field mss integer payload bytes per segment sent
---@field wscale integer same as `snd_wscale`
---@field snd_wscale integer shift applied to the peer's windows
---@field rcv_wscale integer shift applied to ours
---@field sack boolean SACK negotiated
---@field timestamps boolean timestamps negotiated
---@field cwnd integer bytes, congestion window
---@field ssthresh integer bytes, slow-start threshold
---@field srtt number seconds, smoothed RTT
---@field rttvar number seconds, RTT variation
---@field rto number seconds, retransmission timeout
---@field retransmits integer segments retransmitted
---@field bytes_sent integer
---@field bytes_received integer
---@field bytes_acked integer
---@field send_queued integer bytes in the send buffer
---@field recv_queued integer bytes in the receive buffer
---@field urgent_queued integer unread bytes up to the peer's urgent pointer
---@field cc "newreno"|"cubic"
---@field in_recovery boolean fast recovery under way
---@field pipe integer bytes thought in flight
---@field dupacks integer duplicate ACKs since the last new ACK
---@field fast_recoveries integer
---@field timeouts integer retransmission timeouts
---@field sacked_bytes integer bytes the SACK scoreboard holds
---@field sack_blocks integer
---@field rcv_ooo_blocks integer out-of-order ranges held
---@field lost_retransmits integer
---@field ts_recent integer the timestamp echoed back
---@field paws_drops integer
---@field buffer_bytes integer memory the buffers hold now
---@field push_queued integer unread bytes up to the peer's last PSH
---@field r1_reached boolean the R1 retransmission threshold was reached
---@field error? synack.ErrorCode the error that ended the connection
---@field ["local"] string `"addr:port"`
---@field remote string `"addr:port"`
---@field local_addr string
---@field remote_addr string
---@field local_port integer
---@field remote_port integer

-- Segments ---------------------------------------------------------------------------

---One IP packet carrying one TCP segment. Writing a field of the wrong type
---or out of range raises `bad field 'name' (...)`.
---@class synack.Segment
---@field src string IP source address
---@field dst string IP destination address
---@field sport integer
---@field dport integer
---@field flags string tcpdump letters (`"S"`, `"S."`, `"FP."`...), read back in the order FSRP.UEW
---@field seq integer
---@field ack integer
---@field win integer the window field as on the wire (unscaled)
---@field urp integer urgent pointer
---@field options synack.SegmentOptions a new table on each read; write a keyed table, a list or raw bytes
---@field payload string
---@field syn boolean
---@field fin boolean
---@field rst boolean
---@field psh boolean
---@field urg boolean
---@field ece boolean
---@field cwr boolean
---@field has_ack boolean the ACK flag
---@field ttl integer IPv4 TTL / IPv6 hop limit
---@field tos integer IPv4 TOS / IPv6 traffic class
---@field ip_id integer IPv4 identification
---@field df boolean IPv4 don't-fragment
---@field flow integer IPv6 flow label
---@field ip_options string raw IPv4 options
---@field reserved integer the 4 reserved TCP header bits
---@field len integer (read-only) payload length
---@field kind synack.SegmentKind (read-only)
---@field family 4|6 (read-only)
---@field checksum_ok boolean (read-only) both checksums right
---@field ip_checksum_ok boolean (read-only)
---@field tcp_checksum_ok boolean (read-only)
---@field ip_checksum integer (read-only) as found on the wire
---@field tcp_checksum integer (read-only) as found on the wire
local Segment = {}

---The IP packet, checksums filled in.
---@return string
function Segment:bytes() end

---An independent copy.
---@return synack.Segment
function Segment:copy() end

---The writable fields, as `synack.segment{...}` takes them.
---@class synack.SegmentFields
---@field src? string
---@field dst? string
---@field sport? integer
---@field dport? integer
---@field flags? string
---@field seq? integer
---@field ack? integer
---@field win? integer
---@field urp? integer
---@field options? synack.OptionsSpec|synack.OptionItem[]|string
---@field payload? string
---@field syn? boolean
---@field fin? boolean
---@field rst? boolean
---@field psh? boolean
---@field urg? boolean
---@field ece? boolean
---@field cwr? boolean
---@field has_ack? boolean
---@field ttl? integer
---@field tos? integer
---@field ip_id? integer
---@field df? boolean
---@field flow? integer
---@field ip_options? string
---@field reserved? integer

---TCP options in the keyed form, laid out as Linux does when written.
---@class synack.OptionsSpec
---@field mss? integer
---@field wscale? integer
---@field sack_permitted? boolean
---@field timestamp? integer[] `{val, ecr}`
---@field sack? integer[][] `{{left, right}, ...}`, at most 4 blocks

---What reading `seg.options` gives: the keyed view plus `list`, every
---option in order (`seg.options = seg.options.list` gives the same bytes).
---@class synack.SegmentOptions: synack.OptionsSpec
---@field list synack.OptionItem[]

---One entry of an option list: `"nop"`, `"eol"`, `"sackOK"`, `{"mss", n}`,
---`{"wscale", n}`, `{"ts", val, ecr}`, `{"sack", {l, r}, ...}`,
---`{kind = n, data = "bytes"}` or `{raw = "bytes"}`.
---@alias synack.OptionItem string|table

-- Events -------------------------------------------------------------------------------

---One entry of the trace; `tostring(event)` is a tcpdump-style line.
---@class synack.Event
---@field t number seconds
---@field kind "segment"|"state"|"timer"|"drop"|"app"
---@field n? integer serial number in the trace (absent on wake-ups)
---@field host? string address of the host where it happened
---@field dir? synack.Dir segment events
---@field from? string sender address (segment, drop), or the old state (state)
---@field to? string receiver address (segment, drop), or the new state (state)
---@field id? integer the packet's serial number (segment, drop)
---@field seg? synack.Segment the packet (segment, drop), when it parses
---@field why? string drop: `"loss"`, `"queue"`, `"mtu"`, `"no host"`, `"checksum"`, `"malformed"`, `"hook"`, `"no listener"`
---@field conn? synack.Conn|string state: the connection while it lives, else its tuple text
---@field tuple? string state: `"a:p > b:p"`
---@field ["local"]? string state: the local endpoint
---@field remote? string state: the remote endpoint
---@field what? string app: the text
---@field alarm? boolean timer: true on a wake-up

-- Captures ------------------------------------------------------------------------------

---A pcap file opened by `synack.pcap`.
---@class synack.Capture
local Capture = {}

---Writes one record: a segment (built with checksums) or packet bytes.
---@param seg_or_bytes synack.Segment|string
---@param t? number seconds (default: the previous record's time)
---@return synack.Capture|nil cap
---@return string|nil err
---@return string|nil code
function Capture:write(seg_or_bytes, t) end

---@return synack.Capture|nil cap
---@return string|nil err
---@return string|nil code
function Capture:flush() end

---Closes the file; closing twice is harmless.
---@return true
function Capture:close() end

-- Kernel sockets (synack.ksock) ----------------------------------------------------------

---The Linux kernel's socket calls as plain functions on integer descriptors
---(`synack.ksock`). Each is one system call and waits only when the
---descriptor was left blocking. Numbers (domains, levels, option names,
---flags) are Linux's. A failure returns `nil, "ENAME: message", "ENAME"`;
---wrong arguments raise.
---@class synack.ksock
local ksock = {}

---A new socket (always close-on-exec).
---@param domain integer `AF_INET` (2), `AF_INET6` (10)
---@param type integer `SOCK_STREAM` (1), possibly with `SOCK_NONBLOCK`
---@param protocol integer `IPPROTO_TCP` (6)
---@return integer|nil fd
---@return string|nil err
---@return string|nil code an errno name
function ksock.socket(domain, type, protocol) end

---@param fd integer
---@param addr string an IPv4 or IPv6 literal
---@param port integer 0..65535
---@return integer|nil ok 0
---@return string|nil err
---@return string|nil code
function ksock.bind(fd, addr, port) end

---@param fd integer
---@param addr string an IPv4 or IPv6 literal
---@param port integer 0..65535
---@return integer|nil ok 0
---@return string|nil err
---@return string|nil code `EINPROGRESS` on a non-blocking socket, ...
function ksock.connect(fd, addr, port) end

---@param fd integer
---@param backlog integer
---@return integer|nil ok 0
---@return string|nil err
---@return string|nil code
function ksock.listen(fd, backlog) end

---A connection of a listening socket (accept4; always close-on-exec).
---@param fd integer
---@param flags? integer `SOCK_NONBLOCK`, ...
---@return integer|nil fd
---@return string|nil err
---@return string|nil code
function ksock.accept(fd, flags) end

---At most `max` bytes; `""` at the end of the stream.
---@param fd integer
---@param max integer 1 to 16 MiB
---@return string|nil data
---@return string|nil err
---@return string|nil code
function ksock.recv(fd, max) end

---The number of bytes sent (never raises SIGPIPE).
---@param fd integer
---@param data string
---@return integer|nil n
---@return string|nil err
---@return string|nil code
function ksock.send(fd, data) end

---@param fd integer
---@param how integer `SHUT_RD` (0), `SHUT_WR` (1), `SHUT_RDWR` (2)
---@return integer|nil ok 0
---@return string|nil err
---@return string|nil code
function ksock.shutdown(fd, how) end

---@param fd integer
---@return integer|nil ok 0
---@return string|nil err
---@return string|nil code
function ksock.close(fd) end

---Sets an integer socket option.
---@param fd integer
---@param level integer `SOL_SOCKET` (1), `IPPROTO_TCP` (6), ...
---@param name integer
---@param value integer
---@return integer|nil ok 0
---@return string|nil err
---@return string|nil code
function ksock.setsockopt(fd, level, name, value) end

---Reads an integer socket option.
---@param fd integer
---@param level integer
---@param name integer
---@return integer|nil value
---@return string|nil err
---@return string|nil code
function ksock.getsockopt(fd, level, name) end

---`fcntl(fd, F_GETFL)` or `fcntl(fd, F_SETFL, flags)`: the file status flags.
---@param fd integer
---@param cmd integer `F_GETFL` (3) or `F_SETFL` (4)
---@param flags? integer with F_SETFL
---@return integer|nil flags
---@return string|nil err
---@return string|nil code
function ksock.fcntl(fd, cmd, flags) end

---The events that are ready now (a poll that does not wait).
---@param fd integer
---@param events integer `POLLIN` (1), `POLLOUT` (4), ...
---@return integer|nil revents
---@return string|nil err
---@return string|nil code
function ksock.poll(fd, events) end

---The name of an errno value (`111` -> `"ECONNREFUSED"`), or nil.
---@param errno integer
---@return string|nil
function ksock.errname(errno) end

-- Matchers and expect specs (synack.expect) ------------------------------------------------

---Matches anything (`synack.any`).
---@class synack.Any

---Matches numbers `lo <= x <= hi` (`synack.range(lo, hi)`).
---@class synack.Range
---@field lo number
---@field hi number

---An expected value: a plain value, `synack.any`, `synack.range(lo, hi)` or
---a function returning truthy when `actual` matches.
---@alias synack.Matcher any|synack.Any|synack.Range|fun(actual: any, seg: synack.Segment): any

---What `t:expect` checks: any segment field (only those given), with
---numbers relative to the ISNs unless `absolute`.
---@class synack.ExpectSpec
---@field flags? synack.Matcher compared as sets of letters
---@field seq? synack.Matcher
---@field ack? synack.Matcher
---@field win? synack.Matcher
---@field len? synack.Matcher
---@field payload? synack.Matcher
---@field data? synack.Matcher same as payload
---@field urp? synack.Matcher
---@field urg? synack.Matcher same as urp
---@field options? synack.Matcher|table keyed (only given keys checked) or a list (all checked)
---@field within? number seconds from the call
---@field at? number absolute network time
---@field tolerance? number seconds around `at`
---@field absolute? boolean sequence numbers as they are
---@field [string] synack.Matcher any other segment field

---What `t:expect_none` takes.
---@class synack.ExpectNoneSpec
---@field within number seconds (required)
---@field absolute? boolean

---What `t:send` builds from: segment fields, `seq` relative to the host's
---own ISN and `ack` to the peer's unless `absolute`.
---@class synack.SendSpec: synack.SegmentFields
---@field data? string same as payload
---@field absolute? boolean

return synack
