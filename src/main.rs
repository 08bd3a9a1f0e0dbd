/// mimalloc, not glibc's malloc: a search allocates and frees millions of
/// small, short-lived blocks (every generated state clones its actors'
/// vectors, the network's tree nodes and the history), and glibc spent a
/// sixth of the search in `_int_malloc`, `malloc_consolidate` and
/// `unlink_chunk` (`perf record`, at-most-once, 32 messages, 3 crashes).
/// With mimalloc the N = 64, K = 3 single-consumer checks took 20–29 %
/// less wall time for some 15–25 % more peak memory (docs/PERFORMANCE.md).
/// Set here, in the binary, so that a program using the library keeps its
/// own allocator.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    std::process::exit(kafkacheck::cli::main());
}
