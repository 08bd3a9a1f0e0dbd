fn main() {
    std::process::exit(kafkacheck::cli::main());
}
