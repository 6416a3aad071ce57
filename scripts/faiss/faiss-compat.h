// Force-included (g++ -include) when building faiss-node's addon against a faiss older than
// 1.7.4. faiss-node 0.5.1 is written for faiss 1.7.4, where the index type lives at namespace
// scope as faiss::idx_t; faiss 1.7.3 (Debian 12's libfaiss-dev) only declares it inside the
// Index class. This header adds the namespace-scope alias without touching the package source.
#pragma once
#include <faiss/Index.h>

namespace faiss {
using idx_t = Index::idx_t;
}
