//! Classes: many tables (games) from one class code. A class is a roster of students and a
//! plan of where they sit; each table is an ordinary game with its own owner task, log and
//! secrecy (decision record 0011).

pub mod plan;
