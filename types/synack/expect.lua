---@meta synack.expect
-- types/synack/expect.lua: LuaCATS declarations of `require "synack.expect"`
-- (see types/synack.lua for how to use these files). Requiring the module
-- installs `t:expect`, `t:expect_none`, `t:send` on hosts, `c:expect`,
-- `c:expect_none` on connections, and `synack.any`, `synack.range`.

---@class synack.expect
---@field any synack.Any matches anything (the same value as `synack.any`)
local expect = {}

---A matcher of numbers `lo <= x <= hi` (the same function as `synack.range`).
---@param lo number
---@param hi number
---@return synack.Range
function expect.range(lo, hi) end

---Starts watching `obj` (a host or a connection) and sets who a raw host
---talks to. Raw hosts made after the `require` are watched from birth.
---@generic T: synack.Host|synack.Conn
---@param obj T
---@param opts? synack.AttachOpts
---@return T obj
function expect.attach(obj, opts) end

---The same as `t:expect(spec)`.
---@param obj synack.Host|synack.Conn
---@param spec synack.ExpectSpec
---@return synack.Segment seg
---@return number t
function expect.expect(obj, spec) end

---The same as `t:expect_none(spec)`.
---@param obj synack.Host|synack.Conn
---@param spec synack.ExpectNoneSpec
---@return true
function expect.expect_none(obj, spec) end

---The same as `t:send(spec)` (hosts only).
---@param obj synack.Host
---@param spec synack.SendSpec
---@return synack.Segment
function expect.send(obj, spec) end

-- Lower-level helpers for drivers built on this module (synack.pkt uses
-- them). They are not in docs/api.md and may change.

---The per-object state of a watched host or connection (watching it from now on).
---@param obj synack.Host|synack.Conn
---@return table state
function expect.state(obj) end

---Takes the next received segment of a state: `{seg =, t =}`, or nil.
---@param state table
---@return {seg: synack.Segment, t: number}|nil
function expect.pop(state) end

---Waits for the next received segment until `deadline` (absolute seconds).
---@param state table
---@param deadline? number
---@return {seg: synack.Segment, t: number}|nil received
---@return string|nil why `"timeout"` or `"idle"`
function expect.next_segment(state, deadline) end

---The segment `t:send` would build from `spec`.
---@param state table
---@param spec synack.SendSpec
---@return synack.Segment
function expect.build(state, spec) end

---The fields where a received segment differs from `spec`.
---@param state table
---@param spec synack.ExpectSpec
---@param seg synack.Segment
---@return {name: string, want: any, got: any}[]
function expect.differences(state, spec, seg) end

---Whether `actual` matches `expected`; differences are appended to `diffs`.
---@param expected any
---@param actual any
---@param name string
---@param diffs {name: string, want: any, got: any}[]
---@param seg? synack.Segment
---@return boolean
function expect.match(expected, actual, name, diffs, seg) end

---A readable form of an expected or actual value.
---@param v any
---@return string
function expect.show(v) end

---Options of `expect.attach`.
---@class synack.AttachOpts
---@field isn? integer the raw host's own ISN (default 0)
---@field peer? string the address it talks to
---@field port? integer the peer's port
---@field sport? integer its own port

return expect
