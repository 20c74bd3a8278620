//! b24emu: an in-memory Bitrix24 portal for tests (being built).
