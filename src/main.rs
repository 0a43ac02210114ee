fn main() {
    println!("payout-console");
}
