public enum FSBHardwareModule {}
