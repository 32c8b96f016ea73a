-- InteropDB: one row of every result type tdsd sends and one row of NULLs, plus tables
-- the clients write to (large values, transactions). Valid T-SQL, loaded by tdsd.
CREATE TABLE AllTypes (
    Id INT IDENTITY(1,1) PRIMARY KEY,
    I32 INT NULL,
    I64 BIGINT NULL,
    F FLOAT NULL,
    B BIT NULL,
    S NVARCHAR(50) NULL,
    Doc NVARCHAR(MAX) NULL,
    Bin VARBINARY(16) NULL,
    Blob VARBINARY(MAX) NULL,
    D DATETIME2 NULL
);
GO
INSERT INTO AllTypes (I32, I64, F, B, S, Doc, Bin, Blob, D)
VALUES
    (-42, 9007199254740993, 2.5, 1, N'Müller 東京', N'doc', 0x00FF10, 0xCAFE, '2024-05-01 10:20:30.1234567'),
    (NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
GO
CREATE TABLE Notes (
    Id INT IDENTITY(1,1) PRIMARY KEY,
    Body NVARCHAR(MAX) NULL,
    Data VARBINARY(MAX) NULL
);
GO
CREATE TABLE Ledger (
    Id INT IDENTITY(1,1) PRIMARY KEY,
    Owner NVARCHAR(50) NOT NULL,
    Amount INT NOT NULL
);
GO
-- Typed: every declared type tdsd sends as SQL Server does, written by the clients
-- through typed parameters (edge values) and read back; row 1 is a seed.
CREATE TABLE Typed (
    Id INT IDENTITY(1,1) PRIMARY KEY,
    Tiny TINYINT NULL,
    Small SMALLINT NULL,
    Int32 INT NULL,
    Big BIGINT NULL,
    Price DECIMAL(12,2) NULL,
    Wide DECIMAL(38,10) NULL,
    Num NUMERIC(38,0) NULL,
    Cash MONEY NULL,
    SmallCash SMALLMONEY NULL,
    Ratio REAL NULL,
    Measure FLOAT NULL,
    Day DATE NULL,
    Clock TIME(7) NULL,
    Stamp DATETIME NULL,
    SmallStamp SMALLDATETIME NULL,
    Precise DATETIME2(7) NULL,
    Appointment DATETIMEOFFSET(7) NULL,
    Ref UNIQUEIDENTIFIER NULL,
    Code CHAR(4) NULL,
    Latin VARCHAR(40) NULL,
    LatinMax VARCHAR(MAX) NULL,
    Fixed NCHAR(3) NULL,
    Label NVARCHAR(40) NULL,
    Raw BINARY(4) NULL,
    Blob VARBINARY(16) NULL,
    Flag BIT NULL
);
GO
INSERT INTO Typed (Tiny, Small, Int32, Big, Price, Wide, Num, Cash, SmallCash, Ratio, Measure, Day, Clock,
                   Stamp, SmallStamp, Precise, Appointment, Ref, Code, Latin, LatinMax, Fixed, Label, Raw, Blob, Flag)
VALUES (255, -32768, -2147483648, 9223372036854775807, -9999999999.99,
        '9999999999999999999999999999.9999999999', '-99999999999999999999999999999999999999',
        '-922337203685477.5808', 214748.3647, 1.5, 2.25, '9999-12-31', '23:59:59.9999999',
        '2024-05-01 10:20:30.123', '2024-05-01 10:21:00', '9999-12-31 23:59:59.9999999',
        '2024-05-01 10:20:30.1234567 +14:00', '6F9619FF-8B86-D011-B42D-00C04FC964FF', 'AB',
        N'€ Š œ ÿ Müller', N'€uro', N'x', N'Grüße 東京', 0x0102, 0xCAFE, 1);
GO
