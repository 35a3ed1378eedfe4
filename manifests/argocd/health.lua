-- Argo CD custom health check for fcwatch.io/FunctionInstanceWatch
-- (argocd-cm key: resource.customizations.health.fcwatch.io_FunctionInstanceWatch).
--
-- Argo CD runs this with gopher-lua (Lua 5.1): the live object is the global `obj`, and the
-- script returns {status = Healthy|Progressing|Degraded|Suspended, message = "..."}.
-- It follows kstatus, which the operator's conditions implement:
--   * status missing, or status.observedGeneration behind metadata.generation -> Progressing
--     (the operator has not acted on the current spec yet);
--   * spec.suspend: true (once observed)                                       -> Suspended;
--   * Stalled=True (an error a retry cannot fix: auth, not found, bad spec)   -> Degraded;
--   * Reconciling=True, or no Ready condition yet                             -> Progressing;
--   * Ready=True                                                              -> Healthy;
--   * Ready=False/Unknown without Stalled (transient: throttled, FC down)     -> Progressing.

local function condition(conditions, ctype)
  if conditions == nil then
    return nil
  end
  for _, c in ipairs(conditions) do
    if c.type == ctype then
      return c
    end
  end
  return nil
end

local function describe(c, fallback)
  local reason = c.reason or ""
  local message = c.message or ""
  if reason ~= "" and message ~= "" then
    return reason .. ": " .. message
  elseif message ~= "" then
    return message
  elseif reason ~= "" then
    return reason
  end
  return fallback
end

local hs = {}
local spec = obj.spec or {}
local status = obj.status
local generation = (obj.metadata or {}).generation

if status == nil then
  hs.status = "Progressing"
  hs.message = "Waiting for the fcwatch operator to report status"
  return hs
end

if generation ~= nil and status.observedGeneration ~= generation then
  hs.status = "Progressing"
  hs.message = "Waiting for the fcwatch operator to observe generation " .. tostring(generation)
  return hs
end

if spec.suspend == true then
  hs.status = "Suspended"
  hs.message = "Polling is suspended (spec.suspend: true)"
  return hs
end

local conditions = status.conditions
local stalled = condition(conditions, "Stalled")
if stalled ~= nil and stalled.status == "True" then
  hs.status = "Degraded"
  hs.message = describe(stalled, "Stalled")
  return hs
end

local reconciling = condition(conditions, "Reconciling")
if reconciling ~= nil and reconciling.status == "True" then
  hs.status = "Progressing"
  hs.message = describe(reconciling, "Reconciling")
  return hs
end

local ready = condition(conditions, "Ready")
if ready == nil then
  hs.status = "Progressing"
  hs.message = "Waiting for the Ready condition"
  return hs
end

if ready.status == "True" then
  hs.status = "Healthy"
  hs.message = describe(ready, "Ready")
  return hs
end

hs.status = "Progressing"
hs.message = describe(ready, "Not ready")
return hs
