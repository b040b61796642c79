public enum FSBDataModule {}
