//! The option calls: typed accessors and the low-level interface, every
//! one through the policy's allow-list (which may refuse, cap or filter)
//! before `getsockopt(2)` / `setsockopt(2)`.

use wasmtime::component::Resource;

use super::{HostResult, denied, ensure_open, open_in};
use crate::ctx::WasockCtxView;
use crate::error::{Error, ErrorClass, ErrorCode};
use crate::options::{self, SocketOption};
use crate::policy::{OptionRefusal, OptionTarget};
use crate::socket::Socket;

/// A typed option's value, carried as the `int` the OS uses.
pub(super) trait OptionValue: Sized {
    /// The value the OS reported, if it fits.
    fn from_int(value: i32) -> Option<Self>;
    /// The `int` to set, if the value fits.
    fn to_int(self) -> Option<i32>;
}

impl OptionValue for bool {
    fn from_int(value: i32) -> Option<Self> {
        Some(value != 0)
    }
    fn to_int(self) -> Option<i32> {
        Some(i32::from(self))
    }
}

impl OptionValue for u32 {
    fn from_int(value: i32) -> Option<Self> {
        u32::try_from(value).ok()
    }
    fn to_int(self) -> Option<i32> {
        i32::try_from(self).ok()
    }
}

impl OptionValue for u8 {
    fn from_int(value: i32) -> Option<Self> {
        u8::try_from(value).ok()
    }
    fn to_int(self) -> Option<i32> {
        Some(i32::from(self))
    }
}

/// The typed option accessors of `socket::HostSocket`, one line each:
/// `getter / setter: type = OPTION;` (no setter for a read-only option),
/// over [`SocketOption`]s of `crate::options`.
macro_rules! typed_options {
    ($($(#[$meta:meta])* $get:ident $(/ $set:ident)? : $ty:ty = $option:ident;)*) => {
        $(
            fn $get(&mut self, this: Resource<Socket>) -> HostResult<$ty> {
                self.get_typed(&this, &crate::options::$option)
            }
            $(
                fn $set(&mut self, this: Resource<Socket>, value: $ty) -> HostResult<()> {
                    self.set_typed(&this, &crate::options::$option, value)
                }
            )?
        )*
    };
}
pub(super) use typed_options;

impl WasockCtxView<'_> {
    /// An option refusal as the guest's error (a denial reported).
    pub(super) fn option_refusal(&self, operation: &str, refusal: OptionRefusal) -> Error {
        match refusal {
            OptionRefusal::Unknown { level, name } => Error::unsupported(
                operation,
                ErrorCode::OptionNotSupported,
                format!(
                    "option (level {level}, name {name}) is not in this host's allow-list, so it never reaches the OS"
                ),
            ),
            OptionRefusal::ReadOnly(label) => Error::new(
                ErrorClass::Fatal,
                ErrorCode::ReadOnlyOption,
                format!("{operation}: {label} is read-only"),
            ),
            OptionRefusal::Denied(refusal) => denied(&self.ctx.reporter, operation, refusal),
            OptionRefusal::Invalid(why) => Error::invalid_argument(operation, why),
        }
    }

    /// `getsockopt(2)` of `(level, name)` into at most `max_length` bytes,
    /// through the allow-list and its result filter.
    pub(super) fn get_checked(
        &mut self,
        this: &Resource<Socket>,
        operation: &str,
        level: i32,
        name: i32,
        max_length: u32,
    ) -> HostResult<Vec<u8>> {
        let socket = open_in(self.table, this, operation)?;
        let target = OptionTarget {
            family: socket.family(),
            kind: socket.kind(),
        };
        let filter = self
            .ctx
            .policy
            .check_get_option(level, name, target)
            .map_err(|refusal| self.option_refusal(operation, refusal))?;
        let socket = self.table.get(this)?;
        let mut bytes = socket.get_option_bytes_as(operation, level, name, max_length)?;
        filter.apply(&mut bytes);
        Ok(bytes)
    }

    /// `setsockopt(2)` of `(level, name)` with `value`, through the
    /// allow-list (which may cap the value).
    pub(super) fn set_checked(
        &mut self,
        this: &Resource<Socket>,
        operation: &str,
        level: i32,
        name: i32,
        value: &[u8],
    ) -> HostResult<()> {
        let socket = open_in(self.table, this, operation)?;
        let target = OptionTarget {
            family: socket.family(),
            kind: socket.kind(),
        };
        let value = self
            .ctx
            .policy
            .check_set_option(level, name, target, value)
            .map_err(|refusal| self.option_refusal(operation, refusal))?;
        Ok(self
            .table
            .get(this)?
            .set_option_bytes_as(operation, level, name, &value)?)
    }

    /// A typed option's `int` value.
    pub(super) fn get_int(
        &mut self,
        this: &Resource<Socket>,
        option: &SocketOption,
    ) -> HostResult<i32> {
        ensure_open(self.table.get(this)?, option.name)?;
        let number = option.number()?;
        let bytes = self.get_checked(this, option.name, option.level, number, 4)?;
        Ok(options::int_of_bytes(&bytes))
    }

    /// Sets a typed option's `int` value.
    pub(super) fn set_int(
        &mut self,
        this: &Resource<Socket>,
        option: &SocketOption,
        value: i32,
    ) -> HostResult<()> {
        let operation = format!("set {}", option.name);
        ensure_open(self.table.get(this)?, &operation)?;
        let number = option.writable()?;
        self.set_checked(this, &operation, option.level, number, &value.to_ne_bytes())
    }

    /// A typed option's value (`bool`, `u32`, `u8`), read as an `int`.
    pub(super) fn get_typed<T: OptionValue>(
        &mut self,
        this: &Resource<Socket>,
        option: &SocketOption,
    ) -> HostResult<T> {
        let value = self.get_int(this, option)?;
        Ok(T::from_int(value).ok_or_else(|| {
            Error::new(
                ErrorClass::Fatal,
                ErrorCode::Other,
                format!("{}: the OS reported {value}", option.name),
            )
        })?)
    }

    /// Sets a typed option's value (`bool`, `u32`, `u8`) as an `int`.
    pub(super) fn set_typed<T: OptionValue + Copy + std::fmt::Display>(
        &mut self,
        this: &Resource<Socket>,
        option: &SocketOption,
        value: T,
    ) -> HostResult<()> {
        let operation = format!("set {}", option.name);
        ensure_open(self.table.get(this)?, &operation)?;
        let value = value.to_int().ok_or_else(|| {
            Error::invalid_argument(&operation, format!("{value} is out of range"))
        })?;
        self.set_int(this, option, value)
    }
}
