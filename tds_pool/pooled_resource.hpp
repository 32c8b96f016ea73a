#pragma once
// What the pool state machine carries in a slot. The state machine never calls into it,
// so its unit tests can use a trivial stand-in instead of a FreeTDS connection.

namespace tds_pool {

/// Base of anything a pool slot owns; destroying it closes it.
class pooled_resource {
public:
    virtual ~pooled_resource() = default;
};

}  // namespace tds_pool
