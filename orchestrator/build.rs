//! Build script: with the `python` feature, links libpython with an rpath so the
//! binaries find it at run time without `LD_LIBRARY_PATH`.

fn main() {
    #[cfg(feature = "python")]
    pyo3_build_config::add_libpython_rpath_link_args();
}
