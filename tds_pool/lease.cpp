// The RAII lease: hands its connection back to the owning pool's strand when it ends.
#include "tds_pool/tenant_pool.hpp"

#include <boost/asio/post.hpp>

namespace tds_pool {

lease::lease(std::shared_ptr<tenant_pool> pool, checkout c) : pool_(std::move(pool)), checkout_(c) {}

lease::lease(lease&& other) noexcept
    : pool_(std::move(other.pool_)),
      checkout_(other.checkout_),
      discard_(other.discard_) {}

lease& lease::operator=(lease&& other) noexcept {
    if (this != &other) {
        give_back();
        pool_ = std::move(other.pool_);
        checkout_ = other.checkout_;
        discard_ = other.discard_;
    }
    return *this;
}

lease::~lease() { give_back(); }

void lease::give_back() noexcept {
    if (!pool_) {
        return;
    }
    auto pool = std::move(pool_);
    pool_.reset();
    const slot_id id = checkout_.slot;
    pooled_resource* resource = checkout_.resource;
    const auto discard = discard_;
    // The bookkeeping belongs to the strand; the caller may be on any thread.
    asio::post(pool->strand_, [pool, id, resource, discard] { pool->on_release(id, resource, discard); });
}

}  // namespace tds_pool
